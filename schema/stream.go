package schema

import (
	"bufio"
	"fmt"
	"io"
)

// StreamValues splits r into JSON objects and calls fn with each one's
// label ("<name>:<line it starts on>") and bytes, or with the error for
// input that is not an object, in order. It accepts what Lotus's tvx
// accepts on stdin, a stream of concatenated objects pretty-printed or not,
// and newline-delimited JSON: an object whose first line carries more than
// its opening brace must end on that line, so one truncated line is
// reported on its own and the stream goes on at the next line. An object
// larger than MaxVectorFileSize is reported and skipped without being
// held in memory. fn's error stops the stream.
func StreamValues(r io.Reader, name string, fn func(label string, data []byte, err error) error) error {
	s := &valueScanner{br: bufio.NewReaderSize(r, 1<<20), line: 1}
	for {
		start, data, verr, err := s.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s line %d: %w", name, s.line, err)
		}
		label := fmt.Sprintf("%s:%d", name, start)
		if verr != nil {
			verr = &Error{File: label, Err: verr}
		}
		if ferr := fn(label, data, verr); ferr != nil {
			return ferr
		}
	}
}

// valueScanner finds the extent of JSON objects by tracking nesting and
// strings; the JSON decoder checks the rest.
type valueScanner struct {
	br   *bufio.Reader
	line int
}

// next returns the next object (or the problem with it, verr) and the line
// it starts on; err is io.EOF at the end of input, or a read error.
func (s *valueScanner) next() (start int, data []byte, verr, err error) {
	// Skip whitespace between values.
	var c byte
	for {
		if c, err = s.br.ReadByte(); err != nil {
			return 0, nil, nil, err
		}
		if c == '\n' {
			s.line++
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			break
		}
	}
	start = s.line
	if c != '{' {
		s.skipLine()
		return start, nil, fmt.Errorf("not a JSON object (a vector starts with '{')"), nil
	}
	buf := []byte{c}
	over := false
	depth, inString, escaped := 1, false, false
	firstLineContent := false
	for depth > 0 {
		if c, err = s.br.ReadByte(); err != nil {
			if err == io.EOF {
				return start, nil, fmt.Errorf("unexpected end of input inside the object"), nil
			}
			return start, nil, nil, err
		}
		if !over {
			buf = append(buf, c)
			if len(buf) > MaxVectorFileSize {
				over, buf = true, nil
			}
		}
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
		if c == '\n' {
			s.line++
			if firstLineContent && s.line == start+1 && depth > 0 {
				return start, nil, fmt.Errorf("line ends inside its object (newline-delimited JSON wants one whole vector per line)"), nil
			}
		} else if s.line == start && c != ' ' && c != '\t' && c != '\r' {
			firstLineContent = true
		}
	}
	if over {
		return start, nil, fmt.Errorf("object larger than %d bytes", MaxVectorFileSize), nil
	}
	return start, buf, nil, nil
}

// skipLine discards the rest of the current line.
func (s *valueScanner) skipLine() {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return
		}
		if c == '\n' {
			s.line++
			return
		}
	}
}

package statediff

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tvx-project/tvx/internal/atomicfile"
)

// Extract reads a log (for example the output of `go test ./conformance` or
// `tvx exec`) and writes every report framed by MarkerBegin / MarkerEnd to
// its own file in dir, markers included: statediff-0001.txt,
// statediff-0002.txt, … in the order the reports appear. Lines are copied
// verbatim. Each file is written to a temporary name and renamed, so a
// reader never sees a half-written report. It returns the paths written.
//
// A marker is recognised when it is the whole line apart from surrounding
// blanks. A report still open at the end of the log, or a BEGIN inside an
// open report, is an error naming the line; reports completed before it are
// kept and returned.
func Extract(r io.Reader, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("extract statediffs: %w", err)
	}
	br := bufio.NewReader(r)
	var (
		written []string
		block   []string
		open    bool
		start   int
		lineNo  int
	)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			lineNo++
			text := strings.TrimRight(line, "\r\n")
			switch strings.TrimSpace(text) {
			case MarkerBegin:
				if open {
					return written, fmt.Errorf("extract statediffs: line %d: %s inside the report opened at line %d", lineNo, MarkerBegin, start)
				}
				open, start, block = true, lineNo, []string{text}
				continue
			case MarkerEnd:
				if open {
					block = append(block, text)
					name := filepath.Join(dir, fmt.Sprintf("statediff-%04d.txt", len(written)+1))
					if err := atomicfile.WriteFile(name, []byte(strings.Join(block, "\n")+"\n"), 0o644); err != nil {
						return written, fmt.Errorf("extract statediffs: report from line %d: %w", start, err)
					}
					written = append(written, name)
					open, block = false, nil
					continue
				}
			}
			if open {
				block = append(block, text)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return written, fmt.Errorf("extract statediffs: read line %d: %w", lineNo+1, err)
		}
	}
	if open {
		return written, fmt.Errorf("extract statediffs: report opened at line %d has no %s", start, MarkerEnd)
	}
	return written, nil
}

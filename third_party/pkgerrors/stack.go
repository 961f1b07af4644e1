package errors

import (
	"fmt"
	"io"
	"path"
	"runtime"
	"strconv"
	"strings"
)

// Frame is a program counter plus one, as runtime.Callers reports it. The
// errors of this package carry no frames; the type is kept so that code
// written against the original API still builds and formats frames it made
// itself.
type Frame uintptr

// where resolves the frame to its function name, file and line, or
// "unknown", "unknown", 0.
func (f Frame) where() (name, file string, line int) {
	pc := uintptr(f) - 1
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return "unknown", "unknown", 0
	}
	file, line = fn.FileLine(pc)
	return fn.Name(), file, line
}

// Format prints the frame: %s the file's base name (%+s the function name,
// a newline and tab, and the full path), %d the line, %n the function name
// without its package path, %v the same as %s:%d (%+v as %+s:%d).
func (f Frame) Format(s fmt.State, verb rune) {
	name, file, line := f.where()
	switch verb {
	case 's':
		if s.Flag('+') {
			io.WriteString(s, name+"\n\t"+file)
			return
		}
		io.WriteString(s, path.Base(file))
	case 'd':
		io.WriteString(s, strconv.Itoa(line))
	case 'n':
		io.WriteString(s, shortFuncName(name))
	case 'v':
		f.Format(s, 's')
		io.WriteString(s, ":"+strconv.Itoa(line))
	}
}

// MarshalText is %+v on one line: "function file:line", or "unknown".
func (f Frame) MarshalText() ([]byte, error) {
	name, file, line := f.where()
	if name == "unknown" {
		return []byte(name), nil
	}
	return []byte(name + " " + file + ":" + strconv.Itoa(line)), nil
}

// shortFuncName drops the package path and package name from a qualified
// function name ("a/b/pkg.(*T).M" becomes "(*T).M").
func shortFuncName(name string) string {
	name = name[strings.LastIndex(name, "/")+1:]
	if i := strings.Index(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// StackTrace is a list of frames, innermost first.
type StackTrace []Frame

// Format prints %+v as one "\n"-prefixed %+v line per frame, %#v as a Go
// slice of frames, and %s and %v as the frames in brackets separated by
// spaces.
func (st StackTrace) Format(s fmt.State, verb rune) {
	switch {
	case verb == 'v' && s.Flag('+'):
		for _, f := range st {
			io.WriteString(s, "\n")
			f.Format(s, verb)
		}
	case verb == 'v' && s.Flag('#'):
		fmt.Fprintf(s, "%#v", []Frame(st))
	case verb == 'v' || verb == 's':
		io.WriteString(s, "[")
		for i, f := range st {
			if i > 0 {
				io.WriteString(s, " ")
			}
			f.Format(s, verb)
		}
		io.WriteString(s, "]")
	}
}

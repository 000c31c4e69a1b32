package diff

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// lineReader returns the lines of a stream without their "\n" or "\r\n",
// refusing lines longer than max bytes. A last line without "\n" is a line.
type lineReader struct {
	r   *bufio.Reader
	max int
	n   int    // number of the line last returned, 1-based
	buf []byte // holds a line longer than the bufio buffer
}

// next returns the next line, valid until the following call, or io.EOF.
func (l *lineReader) next() ([]byte, error) {
	line, err := l.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line, err = l.long(line)
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	if len(line) > l.max+2 || len(line) > l.max && line[len(line)-1] != '\n' {
		return nil, l.tooLong()
	}
	l.n++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// long gathers a line that does not fit the bufio buffer.
func (l *lineReader) long(first []byte) ([]byte, error) {
	l.buf = append(l.buf[:0], first...)
	for {
		part, err := l.r.ReadSlice('\n')
		if len(l.buf)+len(part) > l.max+2 {
			return nil, l.tooLong()
		}
		l.buf = append(l.buf, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return l.buf, err
		}
	}
}

func (l *lineReader) tooLong() error {
	return fmt.Errorf("diff: %w: line %d: longer than %d bytes", ErrMalformed, l.n+1, l.max)
}

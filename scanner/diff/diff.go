// Package diff parses unified diffs (the output of `git diff`, `git show`,
// `git log -p`, `git format-patch` and `diff -u`) into the lines they add.
//
// Parse streams its input and reports runs of consecutive added lines as
// Blocks: the new file's path, the new-file number of the run's first line,
// and the lines themselves without their leading '+'. Context and removed
// lines are only counted. Commit ids and author e-mails are taken from
// `commit <sha>` / `From <sha>` and `Author:` / `From:` header lines.
//
// Invariants: Parse never panics and always terminates; every input byte is
// read at most once and memory is bounded by Options.MaxLine plus
// Options.MaxBlock. A truncated or malformed diff is an error that says
// where; the blocks reported before it are still correct.
package diff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrMalformed is wrapped by every error about the diff's content (as
// opposed to an error reading it).
var ErrMalformed = errors.New("malformed diff")

// Default limits of Options.
const (
	DefaultMaxLine  = 64 << 20 // longest single diff line
	DefaultMaxBlock = 1 << 20  // a run of added lines is reported in blocks of about this size
)

// Block is a run of consecutive added lines of one file.
type Block struct {
	// Path is the new file's path, relative to the repository (the `b/`
	// prefix of git diffs removed); the old path when the file is deleted.
	Path string
	// OldPath is the file's path before the change ("" for a new file).
	OldPath string
	// Commit is the commit id of the enclosing `git log -p` entry, if any.
	Commit string
	// Author is the e-mail address of that commit's author, if known.
	Author string
	// Line is the new-file line number (1-based) of the first line of Data.
	Line int
	// Data holds the added lines without their leading '+', each ended by
	// '\n' (a trailing '\r' is removed).
	Data []byte
}

// Lines returns how many lines Data holds.
func (b Block) Lines() int { return bytes.Count(b.Data, []byte{'\n'}) }

// Options bounds the parser's memory use.
type Options struct {
	MaxLine  int // 0 means DefaultMaxLine
	MaxBlock int // 0 means DefaultMaxBlock
}

// Parse reads a unified diff from r and calls fn for every run of added
// lines, in input order. fn must not retain b.Data after it returns. Parse
// stops at the first error from fn and returns it.
func Parse(r io.Reader, fn func(b Block) error) error {
	return ParseOptions(r, Options{}, fn)
}

// ParseOptions is Parse with explicit limits.
func ParseOptions(r io.Reader, o Options, fn func(b Block) error) error {
	if o.MaxLine <= 0 {
		o.MaxLine = DefaultMaxLine
	}
	if o.MaxBlock <= 0 {
		o.MaxBlock = DefaultMaxBlock
	}
	p := &parser{
		lr:   lineReader{r: bufio.NewReaderSize(r, 64<<10), max: o.MaxLine},
		emit: fn,
		max:  o.MaxBlock,
	}
	return p.run()
}

// parser is the state of one Parse call.
type parser struct {
	lr   lineReader
	emit func(Block) error
	max  int

	commit, author string
	oldPath, path  string

	inHunk           bool
	oldLeft, newLeft int // lines of the current hunk still expected
	newLine          int // new-file number of the next new line

	block Block // pending run of added lines
}

func (p *parser) run() error {
	for {
		line, err := p.lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, ErrMalformed) {
				return err
			}
			return fmt.Errorf("diff: read: %w", err)
		}
		if p.inHunk {
			err = p.hunkLine(line)
		} else {
			err = p.headerLine(line)
		}
		if err != nil {
			return err
		}
	}
	if err := p.flush(); err != nil {
		return err
	}
	if p.inHunk {
		return p.errorf("truncated hunk: %d old and %d new lines missing at end of input", p.oldLeft, p.newLeft)
	}
	return nil
}

// errorf reports a malformed diff at the current input line.
func (p *parser) errorf(format string, a ...any) error {
	return fmt.Errorf("diff: %w: line %d: %s", ErrMalformed, p.lr.n, fmt.Sprintf(format, a...))
}

// hunkLine handles one line inside a hunk.
func (p *parser) hunkLine(line []byte) error {
	kind := byte(' ') // an empty line is a context line whose space was stripped
	if len(line) > 0 {
		kind = line[0]
	}
	var err error
	switch kind {
	case '+':
		if p.newLeft == 0 {
			return p.errorf("hunk has more added lines than its header says")
		}
		p.newLeft--
		err = p.added(line[1:])
	case '-':
		if p.oldLeft == 0 {
			return p.errorf("hunk has more removed lines than its header says")
		}
		p.oldLeft--
		err = p.flush()
	case ' ':
		if p.oldLeft == 0 || p.newLeft == 0 {
			return p.errorf("hunk has more context lines than its header says")
		}
		p.oldLeft--
		p.newLeft--
		p.newLine++
		err = p.flush()
	case '\\': // "\ No newline at end of file"
		return nil
	default:
		return p.errorf("unexpected line in hunk (%d old and %d new lines missing)", p.oldLeft, p.newLeft)
	}
	if err != nil {
		return err
	}
	if p.oldLeft == 0 && p.newLeft == 0 {
		p.inHunk = false
		return p.flush()
	}
	return nil
}

// added appends one added line to the pending block.
func (p *parser) added(text []byte) error {
	if len(p.block.Data) > 0 && len(p.block.Data)+len(text) > p.max {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if len(p.block.Data) == 0 {
		p.block = Block{
			Path: p.path, OldPath: p.oldPath, Commit: p.commit, Author: p.author,
			Line: p.newLine, Data: p.block.Data[:0],
		}
	}
	p.block.Data = append(p.block.Data, text...)
	p.block.Data = append(p.block.Data, '\n')
	p.newLine++
	return nil
}

// flush reports the pending block, if any.
func (p *parser) flush() error {
	if len(p.block.Data) == 0 {
		return nil
	}
	err := p.emit(p.block)
	p.block.Data = p.block.Data[:0]
	return err
}

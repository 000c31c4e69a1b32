package diff

import (
	"bytes"
	"strconv"
	"strings"
)

// headerLine handles a line outside a hunk: commit and file headers, hunk
// headers, and everything else (commit messages, binary patches, stats),
// which is skipped.
func (p *parser) headerLine(line []byte) error {
	s := string(line)
	switch {
	case strings.HasPrefix(s, "@@ "):
		return p.hunkHeader(s)
	case strings.HasPrefix(s, "diff --git "):
		p.startFile()
		p.oldPath, p.path = gitHeaderPaths(s[len("diff --git "):])
	case strings.HasPrefix(s, "diff "):
		p.startFile()
	case strings.HasPrefix(s, "--- "):
		p.oldPath = filePath(s[len("--- "):], "a/")
	case strings.HasPrefix(s, "+++ "):
		if path := filePath(s[len("+++ "):], "b/"); path != "" {
			p.path = path
		} else {
			p.path = p.oldPath // deleted file
		}
	case strings.HasPrefix(s, "rename to "), strings.HasPrefix(s, "copy to "):
		_, rest, _ := strings.Cut(s, " to ")
		p.path = unquote(rest)
	case strings.HasPrefix(s, "commit "):
		p.setCommit(s[len("commit "):], "")
	case strings.HasPrefix(s, "From "):
		p.setCommit(s[len("From "):], " ")
	case strings.HasPrefix(s, "Author: "), strings.HasPrefix(s, "From: "):
		_, rest, _ := strings.Cut(s, ": ")
		p.author = email(rest)
	}
	return nil
}

// startFile resets the per-file state at a `diff` line.
func (p *parser) startFile() {
	p.oldPath, p.path = "", ""
}

// setCommit takes the commit id from a `commit <sha> [(refs)]` or `From <sha>
// <date>` line; anything that is not a full hex id is ignored. want is what
// must follow the id ("" = anything).
func (p *parser) setCommit(rest, want string) {
	id, after, _ := strings.Cut(rest, " ")
	if (len(id) != 40 && len(id) != 64) || !isHex(id) {
		return
	}
	if want != "" && after == "" {
		return
	}
	p.commit, p.author = id, ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// email returns the address in `Name <addr>`, or "" when there is none.
func email(s string) string {
	i := strings.LastIndexByte(s, '<')
	j := strings.LastIndexByte(s, '>')
	if i < 0 || j < i+2 {
		return ""
	}
	return s[i+1 : j]
}

// hunkHeader starts a hunk: `@@ -l[,s] +l[,s] @@[ section]`.
func (p *parser) hunkHeader(s string) error {
	rest := s[len("@@ "):]
	end := strings.Index(rest, " @@")
	if end < 0 {
		return p.errorf("bad hunk header: no closing @@")
	}
	oldR, newR, ok := strings.Cut(rest[:end], " ")
	if !ok || !strings.HasPrefix(oldR, "-") || !strings.HasPrefix(newR, "+") {
		return p.errorf("bad hunk header ranges")
	}
	_, oldN, err1 := parseRange(oldR[1:])
	newStart, newN, err2 := parseRange(newR[1:])
	if err1 != nil || err2 != nil {
		return p.errorf("bad hunk header numbers")
	}
	if p.path == "" && p.oldPath == "" {
		return p.errorf("hunk without a file header")
	}
	if newStart == 0 {
		newStart = 1 // "+0,0": the new file is empty
	}
	p.oldLeft, p.newLeft, p.newLine = oldN, newN, newStart
	p.inHunk = oldN > 0 || newN > 0
	return nil
}

// maxLineNumber bounds line numbers and counts so that arithmetic on them
// cannot overflow.
const maxLineNumber = 1 << 40

// parseRange parses `l` or `l,s` (s defaults to 1).
func parseRange(r string) (start, count int, err error) {
	a, b, hasCount := strings.Cut(r, ",")
	start, err = parseNumber(a)
	if err != nil {
		return 0, 0, err
	}
	count = 1
	if hasCount {
		if count, err = parseNumber(b); err != nil {
			return 0, 0, err
		}
	}
	return start, count, nil
}

func parseNumber(s string) (int, error) {
	if s == "" || len(s) > 13 {
		return 0, strconv.ErrRange
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxLineNumber {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// filePath parses the path of a `--- ` or `+++ ` line: "" for /dev/null,
// git's quoting undone, a trailing tab and timestamp removed, and git's
// a/ or b/ prefix removed.
func filePath(s, prefix string) string {
	if strings.HasPrefix(s, `"`) {
		s = unquote(s)
	} else if i := strings.IndexByte(s, '\t'); i >= 0 {
		s = s[:i]
	}
	if s == "/dev/null" {
		return ""
	}
	return stripPrefix(s, prefix)
}

// stripPrefix removes git's a/ or b/ prefix when present (diff -u output of
// two trees named a and b has it too).
func stripPrefix(s, prefix string) string {
	return strings.TrimPrefix(s, prefix)
}

// gitHeaderPaths takes the paths of `diff --git a/x b/y`, for file sections
// without ---/+++ lines (binary files, mode changes, pure renames). Unquoted
// paths containing " b/" are ambiguous; the split that gives equal old and
// new paths wins, else the last " b/".
func gitHeaderPaths(s string) (oldPath, newPath string) {
	if strings.HasPrefix(s, `"`) {
		q, rest := splitQuoted(s)
		return stripPrefix(q, "a/"), stripPrefix(unquote(strings.TrimPrefix(rest, " ")), "b/")
	}
	if strings.HasPrefix(s, "a/") && len(s)%2 == 1 {
		half := (len(s) - 1) / 2
		if s[half] == ' ' && s[2:half] == s[half+3:] && strings.HasPrefix(s[half+1:], "b/") {
			return s[2:half], s[half+3:]
		}
	}
	if i := strings.LastIndex(s, " b/"); i >= 0 {
		return stripPrefix(s[:i], "a/"), s[i+3:]
	}
	if i := strings.LastIndex(s, ` "b/`); i >= 0 {
		return stripPrefix(s[:i], "a/"), stripPrefix(unquote(s[i+1:]), "b/")
	}
	return "", ""
}

// splitQuoted splits a leading C-quoted string from the rest.
func splitQuoted(s string) (quoted, rest string) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return unquote(s[:i+1]), s[i+1:]
		}
	}
	return unquote(s), ""
}

// unquote undoes git's C-style quoting ("a/t\303\251st \"x\""); an unquoted
// or badly quoted string is returned as it is, minus surrounding quotes.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' {
		return s
	}
	if i := strings.LastIndexByte(s, '"'); i > 0 {
		s = s[:i+1] // drop a trailing tab and timestamp
	}
	var b bytes.Buffer
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s)-1 {
			b.WriteByte(c)
			continue
		}
		i++
		i += unescape(&b, s[i:len(s)-1]) - 1
	}
	return b.String()
}

// unescape writes the escape sequence at the start of s (after the
// backslash) and returns how many bytes it used.
func unescape(b *bytes.Buffer, s string) int {
	simple := map[byte]byte{'a': '\a', 'b': '\b', 't': '\t', 'n': '\n', 'v': '\v', 'f': '\f', 'r': '\r', '"': '"', '\\': '\\'}
	if c, ok := simple[s[0]]; ok {
		b.WriteByte(c)
		return 1
	}
	if len(s) >= 3 && isOctal(s[0]) && isOctal(s[1]) && isOctal(s[2]) {
		b.WriteByte((s[0]-'0')<<6 | (s[1]-'0')<<3 | (s[2] - '0'))
		return 3
	}
	b.WriteByte('\\')
	b.WriteByte(s[0])
	return 1
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

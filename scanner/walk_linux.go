//go:build linux

package scanner

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxOpenDirs is how many directory descriptors a streaming walk keeps open
// (one per level); below that depth, files are opened by their full path.
const maxOpenDirs = 64

// closeBatch is the most file descriptors kept open for one close_range.
const closeBatch = 64

// direntBufSize is the getdents64 buffer: most directories fit in one call.
const direntBufSize = 32 << 10

// treeWalk scans one directory tree on the caller's goroutine while listing
// it (ScanPaths with one worker and one path). Each directory is listed
// with getdents64 and its entries are visited sorted by name, a
// subdirectory as if its name ended in "/": that is exactly the byte order
// of the full paths, so findings come out in the same order as the
// list-sort-scan path produces. Files are opened relative to their open
// directory (one path component to look up, not the whole path).
type treeWalk struct {
	s      *Scanner
	ctx    context.Context
	opts   WalkOptions
	emit   func(Finding) error
	dirent []byte // getdents64 buffer
	name   []byte // NUL-terminated name for openat
	file   treeFile
	failed int
	// lo..hi are the descriptors of scanned files not yet closed (none when
	// hi < lo): a run of consecutive numbers, all held by this walk, so one
	// close_range(2) closes them and nothing else (a number inside the
	// run cannot belong to anyone else while it is held here). Files are
	// opened one after the other and get the lowest free number, so the
	// run grows by one per file until a directory is opened or it reaches
	// closeBatch: ~64 files per close system call instead of one each.
	lo, hi int
}

// dirEntry is a directory entry to visit: key is the name, with "/"
// appended for a directory (the sort key).
type dirEntry struct {
	key string
	dir bool
}

// streamTree scans the tree at root if root is a directory (a symlink to
// one is followed, as an argument); it reports false, and does nothing,
// otherwise.
func (s *Scanner) streamTree(ctx context.Context, root string, opts WalkOptions, emit func(Finding) error) (bool, int, error) {
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return false, 0, nil
	}
	if err := ctx.Err(); err != nil {
		return true, 0, fmt.Errorf("scan: %w", err)
	}
	w := &treeWalk{s: s, ctx: ctx, opts: opts, emit: emit, dirent: make([]byte, direntBufSize), lo: 0, hi: -1}
	err := w.dir(atFDCWD, root, root, 0)
	w.flush()
	return true, w.failed, err
}

// cstr returns name NUL-terminated, in w's reusable buffer.
func (w *treeWalk) cstr(name string) *byte {
	w.name = append(append(w.name[:0], name...), 0)
	return &w.name[0]
}

// dir opens the directory name (relative to parent), lists it and visits
// its entries in order; path is how findings name it.
func (w *treeWalk) dir(parent int, name, path string, depth int) error {
	flags := syscall.O_DIRECTORY
	if depth > 0 {
		flags |= syscall.O_NOFOLLOW // never follow a symlink inside the tree
	}
	w.flush()
	fd, err := openat(parent, w.cstr(name), flags)
	if err != nil {
		w.fail(path, &fs.PathError{Op: "open", Path: path, Err: err})
		return nil
	}
	entries, err := w.list(fd, path)
	if err != nil {
		w.fail(path, err)
	}
	byPath := depth >= maxOpenDirs
	if byPath {
		_ = rawClose(fd) // read-only directory: nothing to lose
		fd = atFDCWD
	} else {
		defer rawClose(fd)
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		n := strings.TrimSuffix(e.key, "/")
		p := joinPath(path, n)
		rel := n
		if byPath {
			rel = p
		}
		if e.dir {
			err = w.dir(fd, rel, p, depth+1)
		} else {
			err = w.scan(fd, rel, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// list reads the directory's entries to visit (regular files and
// directories other than ".git"), sorted; on an error it returns those it
// read.
func (w *treeWalk) list(fd int, path string) ([]dirEntry, error) {
	var out []dirEntry
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_GETDENTS64, uintptr(fd), uintptr(unsafe.Pointer(&w.dirent[0])), uintptr(len(w.dirent)))
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return sortEntries(out), &fs.PathError{Op: "readdirent", Path: path, Err: errno}
		}
		if n == 0 {
			return sortEntries(out), nil
		}
		out = w.parse(w.dirent[:n], path, out)
	}
}

// parse appends the entries of a getdents64 result (struct linux_dirent64:
// ino u64, off s64, reclen u16, type u8, NUL-terminated name).
func (w *treeWalk) parse(buf []byte, path string, out []dirEntry) []dirEntry {
	for len(buf) >= 19 {
		ino := binary.NativeEndian.Uint64(buf)
		reclen := int(binary.NativeEndian.Uint16(buf[16:]))
		if reclen < 19 || reclen > len(buf) {
			break
		}
		typ, name := buf[18], buf[19:reclen]
		buf = buf[reclen:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if ino == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		if typ == syscall.DT_UNKNOWN {
			typ = lstatType(joinPath(path, string(name)))
		}
		switch {
		case typ == syscall.DT_REG:
			out = append(out, dirEntry{key: string(name)})
		case typ == syscall.DT_DIR && string(name) != ".git":
			out = append(out, dirEntry{key: string(name) + "/", dir: true})
		}
	}
	return out
}

// lstatType is the DT_ type of a path whose directory entry did not say
// (some filesystems report DT_UNKNOWN).
func lstatType(p string) byte {
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		return syscall.DT_UNKNOWN
	case fi.Mode().IsRegular():
		return syscall.DT_REG
	case fi.IsDir():
		return syscall.DT_DIR
	}
	return syscall.DT_UNKNOWN
}

func sortEntries(es []dirEntry) []dirEntry {
	slices.SortFunc(es, func(a, b dirEntry) int { return strings.Compare(a.key, b.key) })
	return es
}

// scan scans the regular file name (relative to dirfd) and delivers its
// findings.
func (w *treeWalk) scan(dirfd int, name, path string) error {
	var findings []Finding
	var size int64
	fd, err := openat(dirfd, w.cstr(name), syscall.O_NOFOLLOW)
	if err != nil {
		err = &fs.PathError{Op: "open", Path: path, Err: err}
	} else {
		w.file = treeFile{fd: fd, path: path}
		findings, size, err = w.s.scanReader(w.ctx, &w.file, path, &w.opts)
		w.release(fd)
	}
	if cerr := w.ctx.Err(); cerr != nil {
		return fmt.Errorf("scan: %w", cerr)
	}
	if err != nil {
		w.failed++
	}
	return deliver(path, findings, size, err, w.opts, w.emit)
}

func (w *treeWalk) fail(path string, err error) {
	w.failed++
	if w.opts.OnError != nil {
		w.opts.OnError(path, err)
	}
}

// release queues fd for closing, closing the queued run first if fd does
// not extend it.
func (w *treeWalk) release(fd int) {
	if w.hi >= w.lo && fd == w.hi+1 && w.hi-w.lo+1 < closeBatch {
		w.hi = fd
		return
	}
	w.flush()
	w.lo, w.hi = fd, fd
}

// flush closes the queued descriptors (before a directory is opened, so a
// directory's descriptor never sits inside a run, and at the end).
func (w *treeWalk) flush() {
	if w.hi < w.lo {
		return
	}
	if w.hi > w.lo {
		_, _, errno := syscall.RawSyscall(unix.SYS_CLOSE_RANGE, uintptr(w.lo), uintptr(w.hi), 0)
		if errno == 0 { // else ENOSYS before Linux 5.9: close one by one
			w.lo, w.hi = 0, -1
			return
		}
	}
	for fd := w.lo; fd <= w.hi; fd++ {
		_ = rawClose(fd)
	}
	w.lo, w.hi = 0, -1
}

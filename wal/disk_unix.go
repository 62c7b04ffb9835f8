//go:build linux || darwin

package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// freeBytes returns the bytes available to an unprivileged user on the filesystem of dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("cannot stat filesystem of %q: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// lockDir takes an exclusive flock on dir/LOCK; the kernel drops it when the process dies,
// so a crash never leaves a stale lock behind. Closing the file releases it.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open wal lock %q: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cannot lock wal directory %q (is another process using it?): %w", dir, err)
	}
	return f, nil
}

//go:build !linux && !darwin

package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// freeBytes is not implemented here: the free-space check never refuses, ENOSPC still maps.
func freeBytes(dir string) (int64, error) {
	return 0, errors.New("cannot stat filesystem: not supported on this system")
}

// lockDir only opens dir/LOCK: this system gets no protection against two writers.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open wal lock %q: %w", path, err)
	}
	return f, nil
}

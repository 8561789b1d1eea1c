package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockOrFail takes an exclusive flock on path, failing at once when another process holds it.
func lockOrFail(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dev temporal: open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("dev temporal: %s is in use by another process (another xinyong dev?): %w",
			filepath.Dir(path), err)
	}
	return func() { f.Close() }, nil
}

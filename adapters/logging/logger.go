package logging

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Rotation defaults, used where Options leaves a field at zero.
const (
	DefaultMaxSizeMB  = 100
	DefaultMaxAgeDays = 14
	DefaultMaxBackups = 10
)

// ErrInvalidLevel is wrapped by the error ParseLevel returns for an unknown
// level name.
var ErrInvalidLevel = errors.New("invalid log level")

// Options configures New.
type Options struct {
	// Level is debug, info, warn or error (LOG_LEVEL); empty means info.
	Level string
	// File, when set, receives the same lines as stdout (LOG_FILE).
	File string
	// MaxSizeMB is the size at which the file is rotated; zero means
	// DefaultMaxSizeMB.
	MaxSizeMB int
	// MaxAgeDays is how long rotated files are kept; zero means
	// DefaultMaxAgeDays.
	MaxAgeDays int
	// MaxBackups is how many rotated files are kept; zero means
	// DefaultMaxBackups.
	MaxBackups int
}

// New returns a logger writing JSON lines to stdout and, when opts.File is
// set, to that file. Close the returned io.Closer at exit to close the
// file; it is a no-op without one. The file is opened once here so that a
// bad path is reported at start.
func New(opts Options, stdout io.Writer) (*slog.Logger, io.Closer, error) {
	level, err := ParseLevel(opts.Level)
	if err != nil {
		return nil, nil, err
	}
	var (
		w      = stdout
		closer io.Closer
	)
	if opts.File != "" {
		if err := checkFile(opts.File); err != nil {
			return nil, nil, err
		}
		lj := &lumberjack.Logger{
			Filename:   opts.File,
			MaxSize:    orDefault(opts.MaxSizeMB, DefaultMaxSizeMB),
			MaxAge:     orDefault(opts.MaxAgeDays, DefaultMaxAgeDays),
			MaxBackups: orDefault(opts.MaxBackups, DefaultMaxBackups),
		}
		w = io.MultiWriter(stdout, lj)
		closer = lj
	} else {
		closer = nopCloser{}
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(h), closer, nil
}

// ParseLevel turns debug, info, warn or error (any case; "" is info) into
// a slog.Level.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	default:
		return 0, fmt.Errorf("%w %q: want debug, info, warn or error", ErrInvalidLevel, s)
	}
}

// checkFile makes sure the log file can be created and appended to.
func checkFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("log file %s: create its directory: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("log file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("log file %s: %w", path, err)
	}
	return nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

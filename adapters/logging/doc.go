// Package logging builds the process logger: JSON lines on stdout with
// log/slog's JSONHandler and, when a file is named, the same lines in a
// file rotated by size and age (gopkg.in/natefinch/lumberjack.v2).
//
// It reads no environment; the caller passes LOG_LEVEL and LOG_FILE in
// Options. Nothing here knows about secrets: callers never log them.
package logging

package postgres

import "time"

// arrayLiteral builds the text form of a one-dimensional PostgreSQL array
// ('{"a","b",NULL}'), column by column, so that a batch of rows goes out as
// one array parameter per column and a statement of fixed text (unnest),
// which can be prepared, instead of a parameter per value.
type arrayLiteral struct {
	b []byte
}

func newArrayLiteral(n, width int) *arrayLiteral {
	a := &arrayLiteral{b: make([]byte, 1, 2+n*(width+3))}
	a.b[0] = '{'
	return a
}

func (a *arrayLiteral) sep() {
	if len(a.b) > 1 {
		a.b = append(a.b, ',')
	}
}

// text appends s, quoted; "" stays the empty string.
func (a *arrayLiteral) text(s string) {
	a.sep()
	a.b = append(a.b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			a.b = append(a.b, '\\')
		}
		a.b = append(a.b, s[i])
	}
	a.b = append(a.b, '"')
}

// null appends NULL.
func (a *arrayLiteral) null() {
	a.sep()
	a.b = append(a.b, "NULL"...)
}

// nullText appends s, or NULL for "" (as nullString stores it).
func (a *arrayLiteral) nullText(s string) {
	if s == "" {
		a.null()
		return
	}
	a.text(s)
}

// time appends t to the nanosecond (PostgreSQL keeps the microsecond, as
// for a timestamptz parameter).
func (a *arrayLiteral) time(t time.Time) {
	a.sep()
	a.b = append(a.b, '"')
	a.b = t.AppendFormat(a.b, time.RFC3339Nano)
	a.b = append(a.b, '"')
}

// nullTime appends t, or NULL for the zero time (as nullTime stores it).
func (a *arrayLiteral) nullTime(t time.Time) {
	if t.IsZero() {
		a.null()
		return
	}
	a.time(t)
}

// bool appends t or f.
func (a *arrayLiteral) bool(v bool) {
	a.sep()
	if v {
		a.b = append(a.b, 't')
	} else {
		a.b = append(a.b, 'f')
	}
}

// array appends the text form of the array list as one element (to be
// cast to text[]), or NULL for a nil list (as pq.StringArray stores it).
func (a *arrayLiteral) array(list []string) {
	if list == nil {
		a.null()
		return
	}
	inner := arrayLiteral{b: make([]byte, 1, 2+len(list)*16)}
	inner.b[0] = '{'
	for _, s := range list {
		inner.text(s)
	}
	inner.b = append(inner.b, '}')
	a.text(string(inner.b))
}

func (a *arrayLiteral) String() string { return string(append(a.b, '}')) }

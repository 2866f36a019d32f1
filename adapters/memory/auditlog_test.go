package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/core"
)

// The audit log is kept compactly, in blocks; every event must come back
// exactly, in order.
func TestAuditEventsComeBackExactly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memory.NewStore()
	assert.Nil(t, s.AuditEvents())
	base := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	var want []core.AuditEvent
	for i := range 2500 { // more than two blocks, with repeating and distinct parts
		e := core.AuditEvent{
			ID: fmt.Sprintf("id-%d", i), Type: core.AuditTokenIssued, ActorID: "a", SubjectID: fmt.Sprintf("jti-%d", i),
			ClientID: "c", IP: "127.0.0.1", UserAgent: "wrk", RequestID: fmt.Sprintf("r-%d", i), Success: i%2 == 0,
			Detail: fmt.Sprintf("scope=s%d", i%7), CreatedAt: base.Add(time.Duration(i) * time.Millisecond),
		}
		switch i {
		case 3:
			e.ID = "00000000-0000-4000-8000-000000000000"
		case 4:
			e.ID = "0A1B2C3D-0000-4000-8000-000000000000"
		case 5:
			e.ID = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		case 6:
			e.ID = ""
		case 10:
			e.CreatedAt = time.Now() // a monotonic reading
		case 11:
			e.CreatedAt = base.Local()
		case 12:
			e.CreatedAt = time.Time{}
		}
		require.NoError(t, s.RecordAudit(ctx, e))
		want = append(want, e)
	}
	got := s.AuditEvents()
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], got[i])
		assert.True(t, want[i].CreatedAt == got[i].CreatedAt, "identical time at %d", i)
	}
}

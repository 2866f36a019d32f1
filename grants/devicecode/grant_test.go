package devicecode_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants/devicecode"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func device(status core.DeviceStatus, lastPolled time.Time) core.DeviceCode {
	return core.DeviceCode{ClientID: "tv", Status: status, Interval: 5 * time.Second, LastPolledAt: lastPolled, IssuedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

func TestPoll(t *testing.T) {
	tests := []struct {
		name         string
		give         core.DeviceCode
		giveClient   string
		giveAt       time.Time
		wantErr      string
		wantStatus   core.DeviceStatus
		wantInterval time.Duration
	}{
		{"first poll pending", device(core.DevicePending, time.Time{}), "tv", t0.Add(time.Second), "authorization_pending", core.DevicePending, 5 * time.Second},
		{"poll after the interval", device(core.DevicePending, t0), "tv", t0.Add(5 * time.Second), "authorization_pending", core.DevicePending, 5 * time.Second},
		{"poll too soon: slow_down adds 5 s", device(core.DevicePending, t0), "tv", t0.Add(4 * time.Second), "slow_down", core.DevicePending, 10 * time.Second},
		{"approved: redeemed", device(core.DeviceApproved, t0), "tv", t0.Add(time.Second), "", core.DeviceRedeemed, 5 * time.Second},
		{"denied", device(core.DeviceDenied, t0), "tv", t0.Add(time.Minute), "access_denied", "", 0},
		{"redeemed twice", device(core.DeviceRedeemed, t0), "tv", t0.Add(time.Minute), "invalid_grant", "", 0},
		{"expired", device(core.DeviceApproved, t0), "tv", t0.Add(10 * time.Minute), "expired_token", "", 0},
		{"another client", device(core.DeviceApproved, t0), "radio", t0.Add(time.Minute), "invalid_grant", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := devicecode.Poll(tt.give, tt.giveClient, tt.giveAt)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				var oe *core.OAuthError
				assert.ErrorAs(t, err, &oe)
				if oe != nil {
					assert.Equal(t, tt.wantErr, oe.Code)
				}
			}
			assert.Equal(t, tt.wantStatus, got.Status)
			assert.Equal(t, tt.wantInterval, got.Interval)
			if tt.wantStatus != "" {
				assert.Equal(t, tt.giveAt, got.LastPolledAt, "the poll is recorded")
			}
		})
	}
}

func TestNormalizeUserCode(t *testing.T) {
	tests := []struct{ give, want string }{
		{"BCDF-GHJK", "BCDFGHJK"},
		{"bcdf ghjk", "BCDFGHJK"},
		{"bcdfghjk", "BCDFGHJK"},
		{"BCDF-GHJ", ""},
		{"BCDF-GHJKL", ""},
		{"ABCD-EFGH", ""},
		{"BCDF/GHJK", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, core.NormalizeUserCode(tt.give))
		})
	}
	assert.Equal(t, "BCDF-GHJK", core.FormatUserCode("BCDFGHJK"))
}

package integration_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants/granttest"
	"github.com/identityd/identityd/grants/tokenexchange"
	"github.com/identityd/identityd/service"
)

// TestGrantKit runs the grant test kit against every installed grant.
func TestGrantKit(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "kit@example.com", userPassword)
	count := func(t *testing.T, typ string) int { return len(s.auditEvents(t, typ)) }
	other := newClient(t, s.Server, false, false, []string{core.GrantClientCredentials}, "kit:read")
	otherKit := granttest.Client{ID: other.ID, Secret: other.Secret}
	dev := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode}, "kit:read")
	deviceOnly := granttest.Client{ID: dev.ID, Secret: dev.Secret}
	kitClient := func(c webClient, scopes ...string) granttest.Client {
		return granttest.Client{ID: c.ID, Secret: c.Secret, Scopes: scopes}
	}

	t.Run(core.GrantClientCredentials, func(t *testing.T) {
		c := newClient(t, s.Server, false, false, []string{core.GrantClientCredentials}, "kit:read")
		granttest.Run(t, granttest.Harness{
			Server: s.Server, GrantType: core.GrantClientCredentials, Client: kitClient(c, "kit:read"), Other: deviceOnly,
			NewRequest: func(*testing.T) url.Values { return url.Values{} }, AuditCount: count,
		})
	})
	t.Run(core.GrantRefreshToken, func(t *testing.T) {
		granttest.Run(t, granttest.Harness{
			Server: s.Server, GrantType: core.GrantRefreshToken, Client: granttest.Client{ID: service.WebClientID, Scopes: core.ManagementScopes()}, Other: otherKit,
			NewRequest: func(t *testing.T) url.Values {
				return url.Values{"refresh_token": {login(t, s.Server, "kit@example.com", userPassword).RefreshToken}}
			},
			OneTime: true, AuditCount: count,
		})
	})
	t.Run(core.GrantAuthorizationCode, func(t *testing.T) {
		c := newWebClient(t, s.Server, false, true, nil, "kit:read")
		granttest.Run(t, granttest.Harness{
			Server: s.Server, GrantType: core.GrantAuthorizationCode, Client: kitClient(c, "kit:read"), Other: otherKit,
			NewRequest: func(t *testing.T) url.Values {
				p := newPKCE()
				code := authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(c, p, "kit:read"), "kit@example.com", userPassword)
				return url.Values{"code": {code}, "redirect_uri": {callback}, "code_verifier": {p.verifier}}
			},
			OneTime: true, AuditCount: count,
		})
	})
	t.Run(core.GrantDeviceCode, func(t *testing.T) {
		c := newClient(t, s.Server, true, true, []string{core.GrantDeviceCode}, "kit:read")
		granttest.Run(t, granttest.Harness{
			Server: s.Server, GrantType: core.GrantDeviceCode, Client: kitClient(c, "kit:read"), Other: otherKit,
			NewRequest: func(t *testing.T) url.Values {
				status, da := startDevice(t, s.Server, c, "")
				require.Equal(t, http.StatusOK, status)
				verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, "kit@example.com", userPassword, "approve")
				return url.Values{"device_code": {da.DeviceCode}}
			},
			OneTime: true, AuditCount: count,
		})
	})
	t.Run(tokenexchange.GrantType, func(t *testing.T) {
		c := newClient(t, s.Server, false, false, []string{tokenexchange.GrantType, core.GrantClientCredentials}, "kit:read")
		granttest.Run(t, granttest.Harness{
			Server: s.Server, GrantType: tokenexchange.GrantType, Client: kitClient(c, "kit:read"), Other: otherKit,
			NewRequest: func(t *testing.T) url.Values {
				tr := s.ClientCredentials(t, c.ID, c.Secret, "")
				require.Equal(t, http.StatusOK, tr.Status)
				return url.Values{"subject_token": {tr.AccessToken}, "subject_token_type": {tokenexchange.TokenTypeAccessToken}}
			},
			AuditCount: count,
		})
	})
}

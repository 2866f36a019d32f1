package devicecode

import (
	"context"
	"errors"
	"net/http"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/ports"
)

// Values of the decision button on the consent form.
const (
	decisionApprove = "approve"
	decisionDeny    = "deny"
)

var errNotPending = errors.New("device code not pending")

// ServePage implements grants.PageHandler: the verification page of RFC
// 8628 §3.3. A GET shows the form for the user code (filled in from
// verification_uri_complete's user_code); posting a code shows the client
// and the scopes it asks for with Allow and Deny, unless the client is
// first-party, which is approved at once (the consent rules of the
// authorization endpoint); posting a decision records it. Management
// scopes are granted only to admins (core.GrantableScopes).
func (g *Grant) ServePage(ctx context.Context, r grants.PageRequest) (grants.Page, error) {
	typed := r.Params.Get("user_code")
	if !r.Post {
		return entryPage(typed, "", http.StatusOK), nil
	}
	code := core.NormalizeUserCode(typed)
	if code == "" {
		return entryPage(typed, "Enter the 8-letter code shown on your device.", http.StatusBadRequest), nil
	}
	now := g.clock.Now()
	d, err := ports.FindHashed(g.hasher, code, func(hash string) (core.DeviceCode, error) {
		return g.codes.UpdateDeviceCodeByUserCode(ctx, hash, func(d core.DeviceCode) (core.DeviceCode, error) {
			if d.Status != core.DevicePending || !now.Before(d.ExpiresAt) {
				return d, errNotPending
			}
			return d, nil
		})
	})
	if errors.Is(err, core.ErrNotFound) || errors.Is(err, errNotPending) {
		return entryPage(typed, "That code is not valid or has expired. Check the code on your device, or start again there.", http.StatusBadRequest), nil
	}
	if err != nil {
		return grants.Page{}, err
	}
	client, err := g.clients.GetClient(ctx, d.ClientID)
	if err != nil {
		return grants.Page{}, err
	}
	scopes := core.GrantableScopes(r.User, d.Scopes)
	// RFC 8628 §5.4 (remote phishing): the person always sees who asks,
	// for what, and the code to compare with their device, and approves
	// with a button of their own; a first-party client is no exception,
	// or a link to verification_uri_complete and one "Continue" would
	// connect an attacker's device.
	decision := r.Params.Get("decision")
	switch decision {
	case decisionApprove, decisionDeny:
	default:
		return consentPage(core.FormatUserCode(code), client.Name, scopes), nil
	}
	_, err = g.codes.UpdateDeviceCodeByUserCode(ctx, d.UserCodeHash, func(d core.DeviceCode) (core.DeviceCode, error) {
		if d.Status != core.DevicePending || !now.Before(d.ExpiresAt) {
			return d, errNotPending
		}
		d.UserID, d.AuthTime, d.Status = r.User.ID, r.AuthTime, core.DeviceDenied
		if decision == decisionApprove {
			d.Status, d.Scopes = core.DeviceApproved, scopes
		}
		return d, nil
	})
	if errors.Is(err, errNotPending) {
		return entryPage(typed, "That code has already been used or has expired.", http.StatusBadRequest), nil
	}
	if err != nil {
		return grants.Page{}, err
	}
	if decision == decisionDeny {
		return grants.Page{Title: "Request denied", Message: client.Name + " was not given access. You can close this page."}, nil
	}
	return grants.Page{Title: "Device connected", Message: client.Name + " can now access your account. Return to your device; you can close this page."}, nil
}

func entryPage(value, msg string, status int) grants.Page {
	return grants.Page{
		Status: status, Title: "Connect a device", Message: "Enter the code shown on your device.", Error: msg,
		Form: &grants.PageForm{
			Input: "user_code", InputLabel: "Code", InputValue: value,
			Buttons: []grants.PageButton{{Label: "Continue"}},
		},
	}
}

func consentPage(userCode, clientName string, scopes []string) grants.Page {
	p := grants.Page{
		Title:   "Allow access?",
		Message: clientName + " wants to access your account from a device. Check that your device shows the code " + userCode + ", and allow only if you started this on that device yourself.",
		Form: &grants.PageForm{
			Hidden:    map[string]string{"user_code": userCode},
			ListLabel: "It asks for permission to:", List: scopes,
			Buttons: []grants.PageButton{
				{Name: "decision", Value: decisionDeny, Label: "Deny", Secondary: true},
				{Name: "decision", Value: decisionApprove, Label: "Allow"},
			},
		},
	}
	if len(scopes) == 0 {
		p.Form.ListLabel = ""
	}
	return p
}

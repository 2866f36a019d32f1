package integration_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// fromAddr makes every request of a client come from addr, as the trusted
// proxy in front of the server reports it.
type fromAddr struct {
	addr string
	next http.RoundTripper
}

func (f fromAddr) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// browserAt is a browser with its own cookie jar whose requests come from
// addr; moveTo changes the address.
func browserAt(t *testing.T, s *apptest.Server, addr string) *apptest.Browser {
	t.Helper()
	b := apptest.NewBrowser(t, s.URL)
	b.Client.Transport = fromAddr{addr: addr, next: b.Client.Transport}
	return b
}

func moveTo(b *apptest.Browser, addr string) {
	b.Client.Transport = fromAddr{addr: addr, next: b.Client.Transport.(fromAddr).next}
}

// signOut drops the browser's sign-in but keeps its other cookies (the
// device cookie among them), so the next authorization shows the form.
func signOut(t *testing.T, s *apptest.Server, b *apptest.Browser) {
	t.Helper()
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "identityd_session", Value: "", Path: "/", MaxAge: -1}})
}

// doFrom sends a JSON request from addr with the server's checked client.
func doFrom(t *testing.T, s *apptest.Server, addr, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	data, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := s.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, out
}

// While anyone, from any number of addresses, keeps sending wrong passwords
// for an account, its owner still signs in from a browser or an address
// that signed in before; the guesses the account receives per hour stay
// bounded; a lock answers exactly like a wrong password; and an owner on a
// new device gets in by resetting the password from it (issue 10, part 3).
func TestLockoutNeverKeepsTheOwnerOut(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"})
	policy := core.DefaultLoginThrottle()
	const email, wrong = "ada@example.com", "Wrong-Password-1"
	userID := register(t, s.Server, email, userPassword)
	app := newWebClient(t, s.Server, true, true, nil)

	// The owner has signed in before: with the API from home, and in a
	// browser (which now holds a device cookie) from the office.
	const home, office, cafe = "203.0.113.7", "2001:db8:aaaa:1::10", "192.0.2.55"
	resp, body := doFrom(t, s.Server, home, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": userPassword})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	browser := browserAt(t, s.Server, office)
	authorize(t, s.Server, browser, codeParams(app, newPKCE(), ""), email, userPassword)

	_, unknownBody := doFrom(t, s.Server, "198.51.100.1", http.MethodPost, "/api/auth/login", map[string]string{"email": "nobody@example.com", "password": wrong})
	attackers := 0
	guess := func() {
		t.Helper()
		attackers++
		addr := fmt.Sprintf("198.51.%d.%d", 100+attackers/200, attackers%200+1)
		if attackers%2 == 0 {
			addr = fmt.Sprintf("2001:db8:%x::1", attackers) // every one in its own /64
		}
		resp, body := doFrom(t, s.Server, addr, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": wrong})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.JSONEq(t, string(unknownBody), string(body), "a guess answers like an unknown email, locked or not")
	}
	ownerGetsIn := func(when string) {
		t.Helper()
		resp, body := doFrom(t, s.Server, home, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": userPassword})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: the owner's API login from an address that signed in before: %s", when, body)
		// The browser moved to a café: its device cookie, not its address,
		// is what the server knows.
		moveTo(browser, cafe)
		signOut(t, s.Server, browser)
		page := browser.Open(authorizeURL(s.Server, codeParams(app, newPKCE(), "")))
		page = signIn(t, browser, page, email, userPassword)
		require.NotNil(t, page.Left, "%s: the owner's browser with its device cookie gets in: %d %s", when, page.Status, page.Body)
		assert.NotEmpty(t, page.Left.Query().Get("code"))
	}

	// The attack: every guess from a new address, timed to land the moment
	// the account's wait ends (the most guesses anyone can get counted),
	// and one more during every wait, which is refused without being
	// counted.
	start := s.Clock.Now()
	for failures := 1; s.Clock.Now().Sub(start) < 2*time.Hour; failures++ {
		guess()
		guess()
		if failures == policy.LockAfter+2 {
			ownerGetsIn(fmt.Sprintf("%s into the attack", s.Clock.Now().Sub(start).Round(time.Minute)))
		}
		s.Clock.Advance(policy.Wait(failures))
	}
	ownerGetsIn("after two hours of attack")

	t.Run("the guesses counted per hour are bounded", func(t *testing.T) {
		perHour := map[int]int{}
		for _, e := range s.auditEvents(t, core.AuditLoginFailed) {
			if e.SubjectID == userID && strings.HasPrefix(e.Detail, "wrong password") {
				perHour[int(e.CreatedAt.Sub(start)/time.Hour)]++
			}
		}
		// 3 free attempts, 6 short delays, then locks of 5, 10 and 15
		// minutes: at most 15 in the first hour and 5 in any after.
		assert.LessOrEqual(t, perHour[0], 15, "first hour")
		assert.LessOrEqual(t, perHour[1], 5, "second hour")
		assert.Greater(t, attackers, perHour[0]+perHour[1], "guesses during a wait were not counted")
	})

	t.Run("an API client that keeps the device cookie is known by it anywhere", func(t *testing.T) {
		withCookie := func(addr, cookie string) *http.Response {
			t.Helper()
			req, err := http.NewRequest(http.MethodPost, s.URL+"/api/auth/login", strings.NewReader(`{"email":"ada@example.com","password":"`+userPassword+`"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", addr)
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "identityd_device", Value: cookie})
			}
			resp, err := s.HTTP.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp
		}
		guess() // the account is locked for a quarter of an hour now
		first := withCookie(home, "")
		require.Equal(t, http.StatusOK, first.StatusCode)
		cookie := deviceCookie(first)
		require.NotEmpty(t, cookie)
		require.Equal(t, http.StatusOK, withCookie(home, cookie).StatusCode, "presented once: now known")
		assert.Equal(t, http.StatusOK, withCookie("192.0.2.200", cookie).StatusCode, "from a new address, by its cookie")
		assert.Equal(t, http.StatusUnauthorized, withCookie("192.0.2.201", "").StatusCode, "without it, a new address is refused")
	})

	t.Run("an owner on a new device is refused like a wrong password until they reset the password there", func(t *testing.T) {
		const phone = "2001:db8:bbbb:2::99"
		guess() // the account is locked now
		resp, body := doFrom(t, s.Server, phone, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": userPassword})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.JSONEq(t, string(unknownBody), string(body))

		resp, body = doFrom(t, s.Server, phone, http.MethodPost, "/api/auth/password-reset", map[string]string{"email": email})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
		m, ok := s.mail.LastTo(email)
		require.True(t, ok)
		// The phone's address changes within its /64: still the same
		// network to the server.
		resp, body = doFrom(t, s.Server, "2001:db8:bbbb:2::1234", http.MethodPost, "/api/auth/password-reset/confirm", map[string]string{"token": m.Token, "password": "New-Password-42!"})
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		assert.NotEmpty(t, deviceCookie(resp), "the reset sets a device cookie")
		guess()
		guess()
		resp, body = doFrom(t, s.Server, phone, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": "New-Password-42!"})
		require.Equal(t, http.StatusOK, resp.StatusCode, "the phone that reset the password gets in: %s", body)
		assert.NotEmpty(t, deviceCookie(resp), "the API login sets a device cookie too")
	})

	t.Run("a known device has its own bounded bucket", func(t *testing.T) {
		// Someone behind the owner's home address guessing locks only that
		// address's bucket: the account's and the browser's are apart.
		for i := 1; i <= policy.LockAfter; i++ {
			resp, _ := doFrom(t, s.Server, home, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": wrong})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			if i < policy.LockAfter {
				s.Clock.Advance(policy.Wait(i))
			}
		}
		resp, _ := doFrom(t, s.Server, home, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": "New-Password-42!"})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "home is locked now")
		signOut(t, s.Server, browser)
		moveTo(browser, home)
		page := browser.Open(authorizeURL(s.Server, codeParams(app, newPKCE(), "")))
		page = signIn(t, browser, page, email, "New-Password-42!")
		require.NotNil(t, page.Left, "the browser's own bucket: %d %s", page.Status, page.Body)
	})
}

func deviceCookie(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "identityd_device" {
			return c.Value
		}
	}
	return ""
}

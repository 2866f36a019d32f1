package integration_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

const (
	adminEmail    = "root@example.com"
	adminPassword = "Root-Password-0123!"
	userPassword  = "Correct-Horse-Battery-9"
)

// peopleServer is a server with a recording mailer, a bootstrap admin user,
// and access to the audit log.
type peopleServer struct {
	*apptest.Server
	mail  *memory.Mailer
	audit ports.AuditLog
	queue *service.AuditQueue
}

func startPeople(t *testing.T, overrides map[string]string, extra ...fx.Option) *peopleServer {
	t.Helper()
	env := map[string]string{"BOOTSTRAP_ADMIN_EMAIL": adminEmail, "BOOTSTRAP_ADMIN_PASSWORD": adminPassword}
	for k, v := range overrides {
		env[k] = v
	}
	ps := &peopleServer{mail: memory.NewMailer()}
	opts := append([]fx.Option{
		fx.Decorate(func(ports.Mailer) ports.Mailer { return ps.mail }),
		// Mail work runs before the request returns, so a test reads the
		// mail right after asking for it.
		fx.Decorate(func(q *service.MailQueue, log *slog.Logger) *service.MailQueue {
			cfg := service.DefaultMailQueueConfig
			cfg.Inline = true
			return service.NewMailQueue(cfg, log)
		}),
		fx.Populate(&ps.audit, &ps.queue)}, extra...)
	ps.Server = apptest.Start(t, env, opts...)
	return ps
}

// auditEvents returns the recorded audit events of a type.
func (s *peopleServer) auditEvents(t *testing.T, typ string) []core.AuditEvent {
	t.Helper()
	require.NoError(t, s.queue.Flush(t.Context()))
	var out []core.AuditEvent
	for _, e := range auditEvents(t, s.Server, s.audit) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

type userBody struct {
	ID        string   `json:"id"`
	Email     string   `json:"email"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Roles     []string `json:"roles"`
	CreatedAt string   `json:"created_at"`
}

// register creates an account and returns its id.
func register(t *testing.T, s *apptest.Server, email, password string) string {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"email": email, "password": password, "first_name": "Ada", "last_name": "Lovelace",
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	return decode[userBody](t, body).ID
}

type loginBody struct {
	AccessToken  string  `json:"access_token"`
	RefreshToken string  `json:"refresh_token"`
	TokenType    string  `json:"token_type"`
	ExpiresIn    int64   `json:"expires_in"`
	Scope        *string `json:"scope"`
}

func tryLogin(t *testing.T, s *apptest.Server, email, password string) (*http.Response, []byte) {
	t.Helper()
	return s.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": email, "password": password})
}

func login(t *testing.T, s *apptest.Server, email, password string) loginBody {
	t.Helper()
	resp, body := tryLogin(t, s, email, password)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return decode[loginBody](t, body)
}

// refresh redeems a refresh token of the identity-web client.
func refresh(t *testing.T, s *apptest.Server, token, scope string) apptest.TokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {"identity-web"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	resp, body := s.PostForm(t, "/oauth/token", "", "", form)
	tr := decode[apptest.TokenResponse](t, body)
	tr.Status = resp.StatusCode
	return tr
}

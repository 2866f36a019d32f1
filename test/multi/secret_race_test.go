package multi_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// Token requests with the current secret race a regeneration of it on the
// other instance. Each answers 200 or invalid_client, never anything else;
// every token issued is valid; once the regeneration has answered, the old
// secret fails where it was regenerated at once and on the other instance
// within the bound, and the new one works.
func TestSecretRegenerationRacesTokenRequests(t *testing.T) {
	t.Parallel()
	forEachRedis(t, func(t *testing.T, kind string) {
		env := sharedEnv(t, kind, map[string]string{"RATE_LIMIT_ENABLED": "false"})
		a := node{name: "a", url: apptest.Start(t, env).URL}
		b := node{name: "b", url: apptest.Start(t, env).URL}
		admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
		id, oldSecret := a.newClient(t, admin)
		b.mustToken(t, id, oldSecret) // cached in b

		const workers, perWorker = 4, 6
		type outcome struct {
			status int
			code   string
			token  string
		}
		outcomes := make(chan outcome, workers*perWorker)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				n := []node{a, b}[w%2]
				for range perWorker {
					r, err := n.tryToken(id, oldSecret)
					if err != nil {
						t.Errorf("%s: %v", n.name, err)
						return
					}
					outcomes <- outcome{status: r.status, code: r.str("error"), token: r.str("access_token")}
				}
			}()
		}
		close(start)
		r := a.api(t, http.MethodPost, "/api/clients/"+id+"/regenerate-secret", admin, nil)
		wg.Wait()
		close(outcomes)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		newSecret := r.str("client_secret")

		for o := range outcomes {
			switch o.status {
			case http.StatusOK:
				assert.True(t, a.active(t, o.token), "a token issued during the race is valid")
			case http.StatusUnauthorized:
				assert.Equal(t, "invalid_client", o.code)
			default:
				t.Errorf("token request during the regeneration: status %d (%s)", o.status, o.code)
			}
		}
		assert.Equal(t, http.StatusUnauthorized, a.token(t, id, oldSecret).status, "a accepts the old secret")
		within(t, healthyBound, "b refuses the old secret", func() bool { return !b.authenticates(t, id, oldSecret) })
		for _, n := range []node{a, b} {
			n.mustToken(t, id, newSecret)
		}
	})
}

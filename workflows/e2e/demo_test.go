package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/demo"
	"xinyong/domain"
	"xinyong/templates/letters"
)

// demoClient calls the stack's API as the demo logins.
func (s *stack) demoClient() *demo.Client {
	return &demo.Client{Base: s.base, Token: func(ctx context.Context, login string) (string, error) {
		u, err := s.db.UserByLogin(ctx, login)
		if err != nil {
			return "", err
		}
		tok, _, err := s.db.CreateToken(ctx, u.ID, "demo")
		return tok, err
	}}
}

// makeDemoCity runs the demo data through the stack's API and checks, through the API again, that every state of
// issue 20 is there.
func (s *stack) makeDemoCity() *demo.Client {
	s.t.Helper()
	c := s.demoClient()
	started := time.Now()
	sum, err := demo.Run(context.Background(), c, domain.Today())
	require.NoError(s.t, err, "failures: %v", sum.Failures)
	s.t.Logf("demo city made in %s: %+v", time.Since(started).Round(time.Second), sum)
	return c
}

// TestDemoPlanIsPrintableAndValid: the demo's enterprises have valid USCCs and names the letters can print, and
// the plan has 200 penalties across the three departments.
func TestDemoPlanIsPrintableAndValid(t *testing.T) {
	ents := demo.Enterprises()
	require.Len(t, ents, 50)
	seen := map[string]bool{}
	for _, e := range ents {
		require.NoError(t, domain.ValidateUSCC(e.USCC), e.Name)
		require.NoError(t, letters.CheckPrintable("企业名称", e.Name), e.Name)
		require.NoError(t, letters.CheckPrintable("法定代表人", e.Rep), e.Rep)
		require.False(t, seen[e.USCC], "duplicate %s", e.USCC)
		seen[e.USCC] = true
	}
	plan := demo.Plan(domain.Today())
	require.Len(t, plan, 200)
	depts := map[string]int{}
	nos := map[string]bool{}
	for _, p := range plan {
		depts[p.Dept]++
		require.False(t, nos[p.Dept+p.No], "duplicate decision number %s", p.No)
		nos[p.Dept+p.No] = true
		assert.False(t, p.Decided.After(domain.Today()), p.No)
	}
	assert.Len(t, depts, 3)
}

// TestDemoCityThroughTheAPI is issue 20's acceptance 1 at the API: the demo city is made through the real API and
// workflows, and the API then shows cases in every promised state (by state, as the credit office and the
// departments query them).
func TestDemoCityThroughTheAPI(t *testing.T) {
	s := newStack(t)
	c := s.makeDemoCity()
	n, err := c.Count(context.Background())
	require.NoError(t, err)
	t.Logf("census: %v", n)
	require.Empty(t, n.Missing(), "states missing from the demo city")
}

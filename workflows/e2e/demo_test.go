package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color/palette"
	"image/draw"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/demo"
	"xinyong/domain"
	"xinyong/storage"
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
	ns := map[int]bool{}
	for _, p := range plan {
		require.False(t, ns[p.N], "plan number %d twice (its steps' idempotency keys would clash)", p.N)
		ns[p.N] = true
		depts[p.Dept]++
		require.False(t, nos[p.Dept+p.No], "duplicate decision number %s", p.No)
		nos[p.Dept+p.No] = true
		assert.False(t, p.Decided.After(domain.Today()), p.No)
	}
	assert.Len(t, depts, 3)
}

// TestDemoCityAndTour is issue 20's acceptances 1 and 2 on one demo city (made in a few minutes):
//   - census: the demo city is made through the real API and workflows, and the API then shows cases in every
//     promised state (by state, as the credit office and the departments query them);
//   - status: a demo repair case's receipt carries its lookup code, and /status shows its step with its letters'
//     verification links;
//   - tour: Chromium takes the README's tour pictures from it (each under 200 KB): the main page of each role, and a
//     letter rendered with pdftoppm. They go to a temporary folder, or with XINYONG_TOUR_OUT=1 to docs/tour/ (which
//     the README shows); XINYONG_TOUR_OUT may also name another folder.
func TestDemoCityAndTour(t *testing.T) {
	if testing.Short() {
		t.Skip("makes the demo city through the workflows (a few minutes)")
	}
	s := newStack(t)
	c := s.makeDemoCity()
	t.Run("census", func(t *testing.T) {
		n, err := c.Count(context.Background())
		require.NoError(t, err)
		t.Logf("census: %v", n)
		require.Empty(t, n.Missing(), "states missing from the demo city")
	})
	t.Run("status", func(t *testing.T) { s.demoStatusLookup(t) })
	t.Run("tour", func(t *testing.T) { s.tour(t, tourOut(t)) })
}

// demoStatusLookup looks a demo repair case up at /status with its receipt's code and its enterprise's USCC.
func (s *stack) demoStatusLookup(t *testing.T) {
	firm := storage.DemoEnterprises[0].USCC
	var list struct {
		Items []struct {
			ID     int64  `json:"id"`
			USCC   string `json:"uscc"`
			Status string `json:"status"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/repairs?status=pending_acceptance", s.token("office"), nil, &list))
	require.NotEmpty(t, list.Items)
	r := list.Items[0]
	var detail struct {
		LookupCode string `json:"lookup_code"`
		Deadlines  struct {
			Acceptance string `json:"acceptance"`
		} `json:"deadlines"`
	}
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/repairs/%d", r.ID), s.token(r.USCC), nil, &detail))
	require.Len(t, detail.LookupCode, 12)
	req, err := http.NewRequest("POST", s.base+"/status", strings.NewReader(fmt.Sprintf(`{"code":%q,"uscc":%q}`, detail.LookupCode, r.USCC)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var st struct {
		Step     string `json:"step"`
		Deadline string `json:"deadline"`
		Letters  []struct {
			Title     string `json:"title"`
			VerifyURL string `json:"verify_url"`
		} `json:"letters"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	assert.Equal(t, "pending_acceptance", st.Step)
	assert.Equal(t, detail.Deadlines.Acceptance, st.Deadline)
	require.NotEmpty(t, st.Letters, "the 信用承诺书 of the application")
	assert.Contains(t, st.Letters[0].VerifyURL, s.base+"/verify/")
	_ = firm
}

// tourDir is where the README's tour pictures go (the test runs in workflows/e2e).
const tourDir = "../../docs/tour"

// tourOut is where this run writes the tour pictures: docs/tour with XINYONG_TOUR_OUT=1, the folder it names
// otherwise, else a temporary folder (the pictures are still taken and checked).
func tourOut(t *testing.T) string {
	switch v := os.Getenv("XINYONG_TOUR_OUT"); v {
	case "":
		return t.TempDir()
	case "1":
		return tourDir
	default:
		return v
	}
}

// tourMaxBytes is the size limit of a tour picture.
const tourMaxBytes = 200 << 10

// tour takes the README's pictures: each role's main page, and the first page of a 信用修复告知书.
func (s *stack) tour(t *testing.T, dir string) {
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ctx := newChromium(t)
	shots := []struct{ file, login, path string }{
		{"office.png", "office", "/"},
		{"department.png", "sthjj", "/"},
		{"enterprise.png", storage.DemoEnterprises[0].USCC, "/"},
		{"agency.png", "agency", "/"},
		{"channel-operator.png", "op-creditchina", "/"},
		{"admin.png", "admin", "/"},
	}
	for _, sh := range shots {
		var png []byte
		for _, vp := range [][2]int64{{1000, 700}, {900, 620}, {800, 560}} {
			require.NoError(t, chromedp.Run(ctx,
				chromedp.EmulateViewport(vp[0], vp[1]),
				browserLogin(s.base, sh.login, storage.DemoPassword),
				chromedp.WaitVisible("#home-title", chromedp.ByID),
				chromedp.Navigate(s.base+sh.path),
				chromedp.WaitVisible("#home-title", chromedp.ByID),
				chromedp.CaptureScreenshot(&png),
				browserLogout(),
			), sh.file)
			png = smallerPNG(t, png)
			if len(png) < tourMaxBytes {
				break
			}
		}
		require.Less(t, len(png), tourMaxBytes, sh.file)
		require.NoError(t, os.WriteFile(filepath.Join(dir, sh.file), png, 0o644))
		t.Logf("%s: %d KB", sh.file, len(png)>>10)
	}

	// A letter: the first page of the first demo enterprise's 信用修复告知书, rendered by pdftoppm.
	office := s.token("office")
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.call("GET", "/api/v1/penalties?uscc="+storage.DemoEnterprises[0].USCC, office, nil, &list))
	require.NotEmpty(t, list.Items)
	var p struct {
		Letters []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"letters"`
	}
	require.Equal(t, 200, s.call("GET", fmt.Sprintf("/api/v1/penalties/%d", list.Items[0].ID), office, nil, &p))
	var letterID int64
	for _, l := range p.Letters {
		if l.Kind == "repair_notice" {
			letterID = l.ID
		}
	}
	require.NotZero(t, letterID)
	pdf, code := s.get(fmt.Sprintf("/api/v1/letters/%d/pdf", letterID), office)
	require.Equal(t, 200, code)
	tmp := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "letter.pdf"), pdf, 0o644))
	var png []byte
	for _, dpi := range []string{"60", "50", "40"} {
		out, err := exec.Command("pdftoppm", "-png", "-r", dpi, "-f", "1", "-l", "1", "-singlefile",
			filepath.Join(tmp, "letter.pdf"), filepath.Join(tmp, "letter")).CombinedOutput()
		require.NoError(t, err, "pdftoppm (poppler-utils, installed by `xinyong setup`): %s", out)
		png, err = os.ReadFile(filepath.Join(tmp, "letter.png"))
		require.NoError(t, err)
		png = smallerPNG(t, png)
		if len(png) < tourMaxBytes {
			break
		}
	}
	require.Less(t, len(png), tourMaxBytes, "letter.png")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "letter.png"), png, 0o644))
	t.Logf("letter.png: %d KB", len(png)>>10)
}

// smallerPNG re-encodes a PNG with the best compression, and with a palette when that is still too large.
func smallerPNG(t *testing.T, raw []byte) []byte {
	img, err := png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	for _, pic := range []image.Image{img, paletted(img)} {
		var buf bytes.Buffer
		require.NoError(t, enc.Encode(&buf, pic))
		if buf.Len() < len(raw) {
			raw = buf.Bytes()
		}
		if len(raw) < tourMaxBytes {
			break
		}
	}
	return raw
}

// paletted maps a picture to the Plan 9 palette when that loses little (pages are mostly flat colours); a PNG with
// a palette is a third of the size.
func paletted(img image.Image) image.Image {
	b := img.Bounds()
	p := image.NewPaletted(b, palette.Plan9)
	draw.Draw(p, b, img, b.Min, draw.Src)
	return p
}

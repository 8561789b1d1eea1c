package httpapi

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateApp serves /work/:id (GET and POST), whose handler reports that it entered and then waits to be released,
// behind a read gate of n.
func gateApp(n int, wait time.Duration) (*fiber.App, chan string, chan struct{}) {
	s := &Server{reads: newReadGate(n)}
	s.reads.wait = wait
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	app.Use(s.admitRead)
	entered, release := make(chan string, 16), make(chan struct{})
	work := func(c *fiber.Ctx) error {
		entered <- c.Method() + " " + c.Params("id")
		<-release
		return c.SendString("ok")
	}
	app.Get("/work/:id", work)
	app.Post("/work/:id", work)
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	return app, entered, release
}

func send(t *testing.T, app *fiber.App, wg *sync.WaitGroup, method, path string, status *int) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := app.Test(httptest.NewRequest(method, path, nil), -1)
		if assert.NoError(t, err) {
			*status = resp.StatusCode
		}
	}()
}

func nextEntered(t *testing.T, entered chan string) string {
	select {
	case e := <-entered:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no request entered its handler")
		return ""
	}
}

func noneEntered(t *testing.T, entered chan string) {
	select {
	case e := <-entered:
		t.Fatalf("%s entered its handler past the gate", e)
	case <-time.After(100 * time.Millisecond):
	}
}

// Reads beyond the gate's number wait and are let in in the order they came; writes, health checks and the
// reads' own answers are not held by it.
func TestReadGateAdmitsInOrder(t *testing.T) {
	app, entered, release := gateApp(1, time.Minute)
	var wg sync.WaitGroup
	status := make([]int, 5)
	send(t, app, &wg, fiber.MethodGet, "/work/1", &status[0])
	require.Equal(t, "GET 1", nextEntered(t, entered))
	send(t, app, &wg, fiber.MethodGet, "/work/2", &status[1])
	noneEntered(t, entered)
	send(t, app, &wg, fiber.MethodGet, "/work/3", &status[2])
	noneEntered(t, entered)

	send(t, app, &wg, fiber.MethodPost, "/work/4", &status[3]) // a write passes the waiting reads
	require.Equal(t, "POST 4", nextEntered(t, entered))
	resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, "/healthz", nil), -1)
	require.NoError(t, err)
	require.Equal(t, fiber.StatusOK, resp.StatusCode)

	release <- struct{}{} // one of the two entered handlers (GET 1 or POST 4) answers
	release <- struct{}{}
	require.Equal(t, "GET 2", nextEntered(t, entered))
	noneEntered(t, entered)
	release <- struct{}{}
	require.Equal(t, "GET 3", nextEntered(t, entered))
	release <- struct{}{}
	wg.Wait()
	for i, st := range status[:4] {
		require.Equal(t, fiber.StatusOK, st, "request %d", i+1)
	}
}

// A read that waits past the limit is refused with 503, a machine-readable code and a Chinese message, and a
// Retry-After; the read being answered is not disturbed.
func TestReadGateRefusesAfterItsWait(t *testing.T) {
	app, entered, release := gateApp(1, 50*time.Millisecond)
	var wg sync.WaitGroup
	var first int
	send(t, app, &wg, fiber.MethodGet, "/work/1", &first)
	require.Equal(t, "GET 1", nextEntered(t, entered))

	resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, "/work/2", nil), -1)
	require.NoError(t, err)
	require.Equal(t, fiber.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "1", resp.Header.Get(fiber.HeaderRetryAfter))
	body, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(body), `"server_busy"`)
	require.Contains(t, string(body), "系统繁忙")
	noneEntered(t, entered)

	release <- struct{}{}
	wg.Wait()
	require.Equal(t, fiber.StatusOK, first)
}

func TestReadGateSettings(t *testing.T) {
	require.Nil(t, newReadGate(-1))
	g := newReadGate(0)
	require.NotNil(t, g)
	for range defaultReadConcurrency() {
		require.True(t, g.sem.TryAcquire(1))
	}
	require.False(t, g.sem.TryAcquire(1))
}

package activities

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/domain"
)

func TestPublicationsTwiceCreateAndConfirmOnce(t *testing.T) {
	f := newFixture(t)
	id := f.penalty("镇环罚〔2026〕15号")
	in := CreatePublicationsInput{PenaltyID: id, DueOn: domain.MustParseDate("2026-05-29")}
	first, err := f.acts.CreatePublications(f.ctx, in)
	require.NoError(t, err)
	require.NotEmpty(t, first.Channels)
	again, err := f.acts.CreatePublications(f.ctx, in)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Equal(t, len(first.Channels), f.count(`SELECT count(*) FROM publications WHERE penalty_id = $1`, id), "one publication per channel")

	ch := first.Channels[0].ChannelID
	confirm := ConfirmPublicationInput{PenaltyID: id, ChannelID: ch, Reference: "XY-1", By: "op-" + ch}
	f.twice(func() error { _, err := f.acts.ConfirmPublication(f.ctx, confirm); return err },
		"confirmations", `SELECT count(*) FROM audit_log WHERE case_kind = 'penalty' AND case_id = $1::text AND action = 'publication.confirmed'`, id)
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM publications WHERE penalty_id = $1 AND channel_id = $2 AND status = 'published'`, id, ch))
}

func TestWithdrawalOrderedLetteredAndConfirmedTwiceActsOnce(t *testing.T) {
	f := newFixture(t)
	id := f.penalty("镇环罚〔2026〕15号")
	pubs, err := f.acts.CreatePublications(f.ctx, CreatePublicationsInput{PenaltyID: id, DueOn: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	for _, c := range pubs.Channels {
		_, err := f.acts.ConfirmPublication(f.ctx, ConfirmPublicationInput{PenaltyID: id, ChannelID: c.ChannelID, Reference: "P", By: "op"})
		require.NoError(t, err)
	}

	order := WithdrawalInput{PenaltyID: id, Cause: "repair", CauseRef: "repair-7",
		CauseDecision: "镇环修〔2026〕7号准予信用修复决定", OrderedOn: domain.MustParseDate("2026-06-01")}
	var ids []int64
	f.twice(func() error {
		wid, err := f.acts.OrderWithdrawal(f.ctx, order)
		ids = append(ids, wid)
		return err
	}, "withdrawal orders", `SELECT count(*) FROM withdrawals WHERE penalty_id = $1`, id)
	require.Equal(t, ids[0], ids[1], "the retry finds the order")
	wid := ids[0]
	assert.Equal(t, len(pubs.Channels), f.count(`SELECT count(*) FROM withdrawal_channels WHERE withdrawal_id = $1`, wid))

	// The 告知函: issued once for the order, recorded once on it (the first letter stays).
	var letter LetterRef
	notice := IssueLetterInput{CaseKind: "withdrawal", CaseID: "1", Version: 1, USCC: f.ent.USCC, Content: repairNoticeContent(f)}
	f.twice(func() (err error) { letter, err = f.acts.IssueLetter(f.ctx, notice); return err },
		"letters", `SELECT count(*) FROM letters WHERE case_kind = 'withdrawal' AND case_id = '1'`)
	require.NoError(t, f.acts.RecordWithdrawalLetter(f.ctx, WithdrawalLetterInput{WithdrawalID: wid, LetterID: letter.ID}))
	require.NoError(t, f.acts.RecordWithdrawalLetter(f.ctx, WithdrawalLetterInput{WithdrawalID: wid, LetterID: letter.ID}))
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM withdrawals WHERE id = $1 AND letter_id = $2`, wid, letter.ID))

	ch := pubs.Channels[0].ChannelID
	confirm := ConfirmChannelInput{WithdrawalID: wid, ChannelID: ch, Reference: "W-1", By: "op-" + ch}
	var confs []ChannelConfirmation
	f.twice(func() error {
		c, err := f.acts.ConfirmWithdrawalChannel(f.ctx, confirm)
		confs = append(confs, c)
		return err
	}, "channel confirmations", `SELECT count(*) FROM audit_log WHERE case_kind = 'withdrawal' AND case_id = $1::text AND action = 'withdrawal.channel_confirmed'`, wid)
	assert.Equal(t, confs[0], confs[1], "the first confirmation stands")
	assert.Equal(t, 1, f.count(`SELECT count(*) FROM publications WHERE penalty_id = $1 AND channel_id = $2 AND status = 'withdrawn'`, id, ch))

	// Once every channel confirmed, completing twice completes once.
	for _, c := range pubs.Channels[1:] {
		_, err := f.acts.ConfirmWithdrawalChannel(f.ctx, ConfirmChannelInput{WithdrawalID: wid, ChannelID: c.ChannelID, Reference: "W", By: "op"})
		require.NoError(t, err)
	}
	out1, err := f.acts.CompleteWithdrawal(f.ctx, wid)
	require.NoError(t, err)
	out2, err := f.acts.CompleteWithdrawal(f.ctx, wid)
	require.NoError(t, err)
	assert.Equal(t, out1, out2, "completed once, at the first time")
}

// webhook turns a demo channel into a webhook channel calling url.
func (f *fixture) webhook(channelID, url string) {
	f.t.Helper()
	ch, err := f.db.GetChannel(f.ctx, channelID)
	require.NoError(f.t, err)
	ch.Kind, ch.EndpointURL, ch.Secret = domain.ChannelWebhook, url, "s3cret-s3cret-s3cret"
	require.NoError(f.t, ch.Validate())
	require.NoError(f.t, f.db.UpdateChannel(f.ctx, ch))
}

// channelServer is a webhook channel that answers 200 and records the idempotency key of every request.
func channelServer(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get(HeaderIdempotencyKey))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"reference":"CC-1"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), keys...)
	}
}

// TestNotifyAWebhookChannelOfAWithdrawalTwiceConfirmsOnce: a retried notification after the channel confirmed
// sends nothing more and answers with the first confirmation.
func TestNotifyAWebhookChannelOfAWithdrawalTwiceConfirmsOnce(t *testing.T) {
	f := newFixture(t)
	srv, keys := channelServer(t)
	f.webhook("creditchina", srv.URL)
	pid := f.penalty("镇环罚〔2026〕15号")
	pubs, err := f.acts.CreatePublications(f.ctx, CreatePublicationsInput{PenaltyID: pid, DueOn: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	for _, c := range pubs.Channels {
		if c.ChannelID == "creditchina" {
			_, err = f.acts.PublishToChannel(f.ctx, PublicationChannelInput{PenaltyID: pid, ChannelID: c.ChannelID})
		} else {
			_, err = f.acts.ConfirmPublication(f.ctx, ConfirmPublicationInput{PenaltyID: pid, ChannelID: c.ChannelID, Reference: "P", By: "op"})
		}
		require.NoError(t, err)
	}
	wid, err := f.acts.OrderWithdrawal(f.ctx, WithdrawalInput{PenaltyID: pid, Cause: "expiry", OrderedOn: domain.MustParseDate("2027-05-21")})
	require.NoError(t, err)
	in := WithdrawalChannelInput{WithdrawalID: wid, ChannelID: "creditchina"}
	var confs []ChannelConfirmation
	f.twice(func() error {
		c, err := f.acts.NotifyWithdrawalChannel(f.ctx, in)
		confs = append(confs, c)
		return err
	}, "confirmations", `SELECT count(*) FROM audit_log WHERE case_kind = 'withdrawal' AND case_id = $1::text
		AND action = 'withdrawal.channel_confirmed'`, wid)
	assert.Equal(t, confs[0], confs[1])
	var withdrawals int
	for _, k := range keys() {
		if k == WithdrawalIdempotencyKey(wid, "creditchina") {
			withdrawals++
		}
	}
	assert.Equal(t, 1, withdrawals, "the channel was asked once")
}

// TestPublishToAWebhookChannelTwicePublishesOnce: a retried publication (say its answer was lost) carries the same
// idempotency key to the channel and leaves the first publication as it was.
func TestPublishToAWebhookChannelTwicePublishesOnce(t *testing.T) {
	f := newFixture(t)
	srv, keys := channelServer(t)
	f.webhook("creditchina", srv.URL)
	var err error

	id := f.penalty("镇环罚〔2026〕15号")
	_, err = f.acts.CreatePublications(f.ctx, CreatePublicationsInput{PenaltyID: id, DueOn: domain.MustParseDate("2026-05-29")})
	require.NoError(t, err)
	in := PublicationChannelInput{PenaltyID: id, ChannelID: "creditchina"}
	r1, err := f.acts.PublishToChannel(f.ctx, in)
	require.NoError(t, err)
	require.True(t, r1.Published)
	var first time.Time
	require.NoError(t, f.db.GetContext(f.ctx, &first, `SELECT published_at FROM publications WHERE penalty_id = $1 AND channel_id = 'creditchina'`, id))
	r2, err := f.acts.PublishToChannel(f.ctx, in)
	require.NoError(t, err)
	assert.Equal(t, r1, r2)
	var again time.Time
	require.NoError(t, f.db.GetContext(f.ctx, &again, `SELECT published_at FROM publications WHERE penalty_id = $1 AND channel_id = 'creditchina'`, id))
	assert.True(t, first.Equal(again), "published once")
	require.NotEmpty(t, keys())
	for _, k := range keys() {
		assert.Equal(t, PublicationIdempotencyKey(id, "creditchina"), k, "every request is the same publication")
	}
}

// TestNotifyAWebhookChannelOfAnObjectionTwiceConfirmsOnce: the mark request reaches the channel once; the retry
// answers with the first confirmation.
func TestNotifyAWebhookChannelOfAnObjectionTwiceConfirmsOnce(t *testing.T) {
	f := newFixture(t)
	srv, keys := channelServer(t)
	f.webhook("creditchina", srv.URL)
	pid := f.penalty("镇环罚〔2026〕15号")
	oid := f.objection(pid)
	_, err := f.acts.OpenObjectionChannels(f.ctx, OpenObjectionChannelsInput{ObjectionID: oid, Action: "mark",
		Channels: []ObjectionChannelDue{{ChannelID: "creditchina", DueOn: domain.MustParseDate("2026-06-04")}}})
	require.NoError(t, err)
	in := ObjectionChannelInput{ObjectionID: oid, ChannelID: "creditchina", Action: "mark"}
	var confs []ObjectionChannelConfirmation
	f.twice(func() error {
		c, err := f.acts.NotifyObjectionChannel(f.ctx, in)
		confs = append(confs, c)
		return err
	}, "confirmations", `SELECT count(*) FROM audit_log WHERE case_kind = 'objection' AND case_id = $1::text
		AND action = 'objection.channel_mark_confirmed'`, oid)
	assert.Equal(t, confs[0], confs[1])
	assert.Equal(t, []string{ObjectionIdempotencyKey(oid, "mark", "creditchina")}, keys(), "the channel was asked once")
}

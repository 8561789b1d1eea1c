package domain

import "testing"

func TestChannelStatusWordsFollowTheAction(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ChannelConfirmed.LabelForObjection(ObjectionMark), "已确认标注"},
		{ChannelConfirmed.LabelForObjection(ObjectionCorrect), "已确认更正"},
		{ChannelConfirmed.LabelForObjection(ObjectionUnmark), "已确认取消标注"},
		{ChannelSent.LabelForObjection(ObjectionMark), "已通知，待确认"},
		{ChannelSent.LabelForWithdrawal(ChannelManual, 0), "已列入渠道待办，待确认"},
		{ChannelSent.LabelForWithdrawal(ChannelWebhook, 0), "待通知"},
		{ChannelSent.LabelForWithdrawal(ChannelWebhook, 2), "已通知，待确认"},
		{ChannelConfirmed.LabelForWithdrawal(ChannelManual, 0), "已确认撤下"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

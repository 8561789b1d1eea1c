package domain

// LabelForObjection is the status of a channel asked to act on an objection, in the words of that action: a
// mark that the channel confirmed is 已确认标注, not 已确认撤下, which only a withdrawal is.
func (s ChannelStatus) LabelForObjection(a ObjectionAction) string {
	if s == ChannelConfirmed {
		switch a {
		case ObjectionMark:
			return "已确认标注"
		case ObjectionUnmark:
			return "已确认取消标注"
		case ObjectionCorrect:
			return "已确认更正"
		}
	}
	return s.Label()
}

// LabelForWithdrawal is the status of a channel in a withdrawal order: a manual channel is asked through its
// operator's queue (no call is made, so no attempt is counted) and a webhook channel not yet called is still to
// be told.
func (s ChannelStatus) LabelForWithdrawal(kind ChannelKind, attempts int) string {
	if s == ChannelSent && kind == ChannelManual {
		return "已列入渠道待办，待确认"
	}
	if s == ChannelSent && attempts == 0 {
		return ChannelPending.Label()
	}
	return s.Label()
}

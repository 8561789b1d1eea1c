package letters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// Content is what a letter says, before its wording is applied: its kind and the data its text
// prints (RepairNoticeData for KindRepairNotice, …). Workflows hand a Content to the activity that
// issues the letter rather than a built Letter, because building reads the texts in use
// (XINYONG_LETTER_TEXTS), which may change between a workflow's run and its replay.
//
// A Content survives a JSON round trip with its data's type intact: the data of a registered kind
// decodes into that kind's data type, any other into a map[string]any.
type Content struct {
	Kind Kind
	Data any
}

type contentJSON struct {
	Kind Kind            `json:"kind"`
	Data json.RawMessage `json:"data,omitempty"`
}

// MarshalJSON writes {"kind": …, "data": …}.
func (c Content) MarshalJSON() ([]byte, error) {
	data, err := json.Marshal(c.Data)
	if err != nil {
		return nil, fmt.Errorf("letters: %s data: %w", c.Kind, err)
	}
	return json.Marshal(contentJSON{Kind: c.Kind, Data: data})
}

// UnmarshalJSON reads what MarshalJSON writes, decoding the data into the kind's registered type.
func (c *Content) UnmarshalJSON(raw []byte) error {
	var j contentJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return err
	}
	c.Kind, c.Data = j.Kind, nil
	if len(j.Data) == 0 || bytes.Equal(j.Data, []byte("null")) {
		return nil
	}
	typ, ok := sampleType(j.Kind)
	if !ok || typ == nil {
		var m map[string]any
		if err := json.Unmarshal(j.Data, &m); err != nil {
			return fmt.Errorf("letters: %s data: %w", j.Kind, err)
		}
		c.Data = m
		return nil
	}
	v := reflect.New(typ)
	if err := json.Unmarshal(j.Data, v.Interface()); err != nil {
		return fmt.Errorf("letters: %s data: %w", j.Kind, err)
	}
	c.Data = v.Elem().Interface()
	return nil
}

// Build applies the texts in use to the content. Unlike the typed builders it never panics: an
// unknown kind, data of the wrong type or a text that fails on this data is an error (wrapping
// ErrInvalid), which the caller should not retry with the same content.
func Build(c Content) (l Letter, err error) {
	defer func() {
		// A template function or a value's String method may panic; the letter cannot be built.
		if r := recover(); r != nil {
			l, err = Letter{}, fmt.Errorf("%w: %s: %v", ErrInvalid, c.Kind, r)
		}
	}()
	if typ, ok := sampleType(c.Kind); ok && typ != nil && c.Data != nil && reflect.TypeOf(c.Data) != typ {
		return Letter{}, fmt.Errorf("%w: %s takes %v, not %T", ErrInvalid, c.Kind, typ, c.Data)
	}
	l, err = FromTemplate(c.Kind, c.Data)
	if err != nil && !errors.Is(err, ErrInvalid) {
		err = fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return l, err
}

var pledgeLine = regexp.MustCompile(`^[一二三四五六七八九十]+、`)

// Pledges returns the numbered pledges of a commitment (KindCommitment, KindObjectionCommitment) as its text
// prints them, without their numbers, so that the form an enterprise signs shows the very words of the PDF.
func Pledges(k Kind) []string {
	typ, ok := sampleType(k)
	if !ok || typ == nil {
		return nil
	}
	l, err := Build(Content{Kind: k, Data: reflect.New(typ).Elem().Interface()})
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range append(append([]string{}, l.Paragraphs...), l.Notes...) {
		for _, line := range strings.Split(n, "\n") {
			if loc := pledgeLine.FindStringIndex(line); loc != nil {
				out = append(out, strings.TrimSpace(line[loc[1]:]))
			}
		}
	}
	return out
}

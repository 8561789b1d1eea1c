package letters

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// escapeTrees makes every printing action of the templates print through escape, the way
// html/template adds its escapers.
func escapeTrees(root *template.Template) {
	for _, t := range root.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			escapeNode(t.Tree, t.Tree.Root)
		}
	}
}

func escapeNode(tree *parse.Tree, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			escapeNode(tree, c)
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 { // {{$x := …}} assigns and prints nothing
			return
		}
		if last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]; len(last.Args) == 1 {
			if id, ok := last.Args[0].(*parse.IdentifierNode); ok && id.Ident == escapeFunc {
				return // already escaped (a tree shared by two templates)
			}
		}
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
			NodeType: parse.NodeCommand, Pos: n.Pos,
			Args: []parse.Node{parse.NewIdentifier(escapeFunc).SetTree(tree).SetPos(n.Pos)},
		})
	case *parse.IfNode:
		escapeNode(tree, n.List)
		escapeNode(tree, n.ElseList)
	case *parse.RangeNode:
		escapeNode(tree, n.List)
		escapeNode(tree, n.ElseList)
	case *parse.WithNode:
		escapeNode(tree, n.List)
		escapeNode(tree, n.ElseList)
	}
}

// references lists the sections a template calls with {{template "x"}} or {{items "x"}}.
func references(n parse.Node, out map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			references(c, out)
		}
	case *parse.TemplateNode:
		out[n.Name] = true
	case *parse.ActionNode:
		pipeReferences(n.Pipe, out)
	case *parse.IfNode:
		pipeReferences(n.Pipe, out)
		references(n.List, out)
		references(n.ElseList, out)
	case *parse.RangeNode:
		pipeReferences(n.Pipe, out)
		references(n.List, out)
		references(n.ElseList, out)
	case *parse.WithNode:
		pipeReferences(n.Pipe, out)
		references(n.List, out)
		references(n.ElseList, out)
	}
}

func pipeReferences(p *parse.PipeNode, out map[string]bool) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		for i, a := range c.Args {
			switch a := a.(type) {
			case *parse.IdentifierNode:
				if a.Ident == "items" && i+1 < len(c.Args) {
					if s, ok := c.Args[i+1].(*parse.StringNode); ok {
						out[s.Text] = true
					}
				}
			case *parse.PipeNode:
				pipeReferences(a, out)
			}
		}
	}
}

// validate checks every text against its kind's data: a text must run on the zero value and on a
// value with every field filled in (so that range bodies and optional parts run too) and give a
// printable letter.
func (set *textSet) validate(complete bool) error {
	fonts, _ := loadFonts() // without fonts the glyph check is skipped; Render reports the missing fonts
	var errs []error
	registryMu.RLock()
	kinds := make(map[Kind]reflect.Type, len(registry))
	for k, t := range registry {
		kinds[k] = t
	}
	registryMu.RUnlock()
	for k := range kinds {
		if complete && set.kinds[k] == nil {
			errs = append(errs, fmt.Errorf("letters: kind %q has no text: add texts/%s.tmpl or put it in %s", k, k, TextsDirEnv))
		}
	}
	names := make([]string, 0, len(set.kinds))
	for k := range set.kinds {
		names = append(names, string(k))
	}
	slices.Sort(names)
	for _, name := range names {
		kt := set.kinds[Kind(name)]
		if err := kt.validate(kinds[kt.kind], fonts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (kt *kindText) validate(typ reflect.Type, fonts *fontSet) error {
	// Sections that are neither letter parts nor used by one are most likely misspelt.
	used := map[string]bool{}
	for _, t := range kt.tmpl.Templates() {
		if t.Tree != nil {
			references(t.Tree.Root, used)
		}
	}
	for _, t := range kt.tmpl.Templates() {
		name := t.Name()
		if strings.HasSuffix(name, ".tmpl") || slices.Contains(sections, name) || used[name] || kt.shared[name] {
			continue
		}
		return fmt.Errorf("letters: %s: section %q is not a letter part (%s) and no section uses it",
			kt.source, name, strings.Join(sections, ", "))
	}

	samples := []any{nil}
	if typ != nil {
		zero := reflect.New(typ).Elem()
		full := reflect.New(typ).Elem()
		fill(full, 0)
		samples = []any{zero.Interface(), full.Interface()}
	}
	for i, data := range samples {
		l, err := kt.build(data)
		if err != nil {
			return err
		}
		if i == 0 {
			kt.title = l.Title
		}
		if l.Table != nil {
			for j, row := range l.Table.Rows {
				if len(row) != len(l.Table.Headers) {
					return fmt.Errorf("letters: %s: table row %d has %d cells for %d headers", kt.source, j+1, len(row), len(l.Table.Headers))
				}
			}
		}
		if fonts != nil {
			if missing := fonts.missing(l); len(missing) > 0 {
				return fmt.Errorf("letters: %s: the font has no glyph for %s", kt.source, quoteRunes(missing))
			}
		}
	}
	return nil
}

// fill sets every field of v to a plausible non-zero value, every list to two items, so that the
// optional parts of a text run when it is validated.
func fill(v reflect.Value, depth int) {
	if !v.CanSet() || depth > 4 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("示例")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(3)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(3)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 4, 1+depth, 0, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), depth)
		}
	}
}

var templateFuncs = template.FuncMap{
	escapeFunc:   escape,
	"date":       FormatDate,
	"datetime":   formatDateTime,
	"dateOr":     dateOr,
	"after":      func(a, b time.Time) bool { return a.After(b) },
	"default":    defaultValue,
	"join":       func(sep string, list any) string { return strings.Join(toStrings(list), sep) },
	"trim":       strings.TrimSpace,
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	"unlead":     unlead,
	"trimAll":    func(cutset, s string) string { return strings.Trim(s, cutset) },
	"lines":      func(s string) []string { return nonEmpty(strings.Split(s, "\n")) },
	"nonEmpty":   func(list any) []string { return nonEmpty(toStrings(list)) },
	"enumerate":  func(list any) []string { return enumerate(toStrings(list)) },
	"concat": func(lists ...any) []string {
		var out []string
		for _, l := range lists {
			out = append(out, toStrings(l)...)
		}
		return out
	},
	"cn":  cnNumber,
	"inc": func(i int) int { return i + 1 },
	"br":  func() string { return "\n" },
	// items is bound per text in parseSet; this stub lets the parser accept it.
	"items": func(string) ([]string, error) { return nil, nil },
}

// defaultValue returns v, or alt when v is blank: nil, a string of spaces, a zero number or date, an
// empty list. It takes its arguments in the order that reads in a pipeline: {{.Reason | default "…"}}.
func defaultValue(alt, v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return alt
	}
	switch rv.Kind() {
	case reflect.String:
		if strings.TrimSpace(rv.String()) == "" {
			return alt
		}
	case reflect.Slice, reflect.Map, reflect.Array:
		if rv.Len() == 0 {
			return alt
		}
	default:
		if t, ok := v.(time.Time); ok && t.IsZero() {
			return alt
		}
		if rv.IsZero() {
			return alt
		}
	}
	return v
}

// toStrings turns a list of anything into its printed items.
func toStrings(list any) []string {
	if ss, ok := list.([]string); ok {
		return ss
	}
	rv := reflect.ValueOf(list)
	if !rv.IsValid() {
		return nil
	}
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return []string{printable(list)}
	}
	out := make([]string, rv.Len())
	for i := range out {
		out[i] = printable(rv.Index(i).Interface())
	}
	return out
}

func nonEmpty(items []string) []string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// Sort order of Kinds: the builtin kinds first, as the platform's procedures use them, then the
// rest by name.
func kindsOf(set *textSet) []Kind {
	out := make([]Kind, 0, len(set.kinds))
	for _, b := range builtinKinds {
		if set.kinds[b.kind] != nil {
			out = append(out, b.kind)
		}
	}
	var rest []Kind
	for k := range set.kinds {
		if !slices.Contains(out, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// openingPhrases are how an official's finding begins; a letter that prints its own opening drops the
// one the official typed, so that it never reads "经审核，经核实，…".
var openingPhrases = []string{"经审核", "经核实", "经核查", "经审查", "经复核", "经调查", "经查明", "经查实", "经查"}

// unlead removes an opening phrase (and the comma after it) from the start of s.
func unlead(s string) string {
	s = strings.TrimSpace(s)
	for changed := true; changed; {
		changed = false
		for _, p := range openingPhrases {
			if rest, ok := strings.CutPrefix(s, p); ok {
				s, changed = strings.TrimLeft(rest, "，,：: "), true
				break
			}
		}
	}
	return s
}

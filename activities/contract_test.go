package activities

import (
	"reflect"
	"testing"

	"xinyong/activities/contract"
)

// TestContractMatchesActivities: workflow code names activities through contract.Activities, so every activity
// the worker registers must have a contract method with the same name and signature, and the other way round; a
// difference would schedule an activity no worker has, or with arguments it cannot decode.
func TestContractMatchesActivities(t *testing.T) {
	real, named := reflect.TypeOf(&Activities{}), reflect.TypeOf(&contract.Activities{})
	sig := func(m reflect.Method) string {
		in := make([]reflect.Type, 0, m.Type.NumIn()-1)
		for i := 1; i < m.Type.NumIn(); i++ {
			in = append(in, m.Type.In(i))
		}
		out := make([]reflect.Type, 0, m.Type.NumOut())
		for i := 0; i < m.Type.NumOut(); i++ {
			out = append(out, m.Type.Out(i))
		}
		return reflect.FuncOf(in, out, m.Type.IsVariadic()).String()
	}
	for i := 0; i < real.NumMethod(); i++ {
		m := real.Method(i)
		c, ok := named.MethodByName(m.Name)
		if !ok {
			t.Errorf("activity %s has no method in contract.Activities", m.Name)
			continue
		}
		if sig(m) != sig(c) {
			t.Errorf("activity %s: implemented as %s, named in the contract as %s", m.Name, sig(m), sig(c))
		}
	}
	for i := 0; i < named.NumMethod(); i++ {
		if _, ok := real.MethodByName(named.Method(i).Name); !ok {
			t.Errorf("contract.Activities names %s, which package activities does not implement", named.Method(i).Name)
		}
	}
}

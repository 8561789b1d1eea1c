// Package demo creates the living demo data of `xinyong dev` (issue 20): a small city's worth of penalties, repair
// cases, objections, a training and withdrawals, made through the real JSON API, so every record went through its
// workflow exactly as a department, an enterprise, the credit office or a channel operator would have made it. States
// that need time to pass come from backdated decision dates: the rule sets compute their periods and deadlines, and
// the workflows find their timers already due.
package demo

import (
	"fmt"

	"xinyong/domain"
	"xinyong/storage"
)

// Enterprise is one enterprise of the demo city.
type Enterprise struct {
	USCC, Name, Rep string
	// Login tells the enterprise has a demo login (storage.DemoEnterprises): it applies, objects and enrolls.
	Login bool
}

// Rare characters that common GB fonts lack but the letters' font prints (each demo name carries one), and the
// trades of the city.
var (
	rareChars = []string{"燊", "堃", "喆", "昇", "淼", "鑫", "垚", "焱", "犇", "昶", "珺", "玥", "琇", "旻", "暐", "镕",
		"彧", "玮", "甦", "翀", "赟", "骉", "晟", "煜", "钰", "璟", "瑄", "珩", "婧", "琦", "骞", "焜", "烨", "曌",
		"瑢", "璠", "崟", "泓", "淏", "晞", "暄", "祎", "琛", "玙"}
	trades = []string{"化工有限公司", "食品有限公司", "建筑工程有限公司", "机械制造有限公司", "物流有限公司", "餐饮管理有限公司",
		"医药连锁有限公司", "环保科技有限公司", "船舶配件有限公司", "电子科技有限公司", "纺织有限公司", "建材有限公司"}
	districts = []string{"京口区", "润州区", "丹徒区", "新区", "句容", "扬中", "丹阳"}
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"}
)

// enterpriseCount is how many enterprises the demo city has.
const enterpriseCount = 50

// Enterprises are the demo logins' enterprises first, then generated ones: valid USCCs, names with rare characters.
func Enterprises() []Enterprise {
	var out []Enterprise
	for _, e := range storage.DemoEnterprises {
		out = append(out, Enterprise{USCC: e.USCC, Name: e.Name, Rep: e.LegalRepresentative, Login: true})
	}
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	for i := 0; len(out) < enterpriseCount; i++ {
		// 91 (enterprise) 321100 (镇江) then a 9-character body: "MA" and seven characters from the index.
		body := []byte("MA0000000")
		n := i*7919 + 104729
		for k := len(body) - 1; k >= 2; k-- {
			body[k] = alphabet[n%31]
			n /= 31
		}
		first := "91321100" + string(body)
		check, err := domain.USCCCheckChar(first)
		if err != nil {
			panic(fmt.Sprintf("demo: USCC %s: %v", first, err))
		}
		rare := rareChars[i%len(rareChars)]
		name := fmt.Sprintf("镇江%s%s%s", districtPrefix(i), rare+[]string{"泰", "丰", "源", "达", "华", "盛", "润", "安"}[i%8], trades[i%len(trades)])
		out = append(out, Enterprise{USCC: first + string(check), Name: name, Rep: surnames[i%len(surnames)] + rare})
	}
	return out
}

func districtPrefix(i int) string {
	if i%3 == 0 {
		return "市" + districts[i%len(districts)]
	}
	return ""
}

package letters

import "testing"

func benchmarkRender(b *testing.B, l Letter) {
	pdf, err := Render(l) // warm-up: loads and indexes the fonts once
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(l); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pageCount(b, pdf)), "pages")
	b.ReportMetric(float64(len(pdf)), "pdf-bytes")
}

// typicalRepairNotice is a 信用修复告知书 as a department issues it: default conditions and materials,
// no padding.
func typicalRepairNotice() Letter { return RepairNotice(typicalRepairNoticeData()) }

func typicalRepairNoticeData() RepairNoticeData {
	return RepairNoticeData{
		Issue: issue(rareDept, "榕喆市监信修告〔2026〕12号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
		DecisionNo: "榕喆市监罚〔2026〕88号", DecidedOn: day(2026, 4, 1), ClassLabel: "一般",
		Channels: []string{"信用中国", "国家企业信用信息公示系统（福建）"}, PublicationMin: "3个月", PublicationMax: "1年",
		PublicationEnds: day(2027, 4, 1), RepairEligibleFrom: day(2026, 7, 1),
		ApplyOnline: "信用中国（福建福州）网站", ApplyWindow: "市行政服务中心信用修复窗口",
		AcceptWorkingDays: 3, DecideWorkingDays: 7, Contact: "0591-88888888",
	}
}

// The benchmarks named Letter… are the acceptance measure (go test -bench Letter ./templates/...):
// one letter rendered, fonts already loaded. Run them on one core: -cpu 1.

// BenchmarkLetterRepairNotice renders a typical 信用修复告知书 after warm-up (fonts loaded).
func BenchmarkLetterRepairNotice(b *testing.B) {
	benchmarkRender(b, typicalRepairNotice())
}

// BenchmarkLetterOnePage renders the one-page 信用承诺书.
func BenchmarkLetterOnePage(b *testing.B) {
	benchmarkRender(b, fixtures()[KindCommitment])
}

// BenchmarkLetterDeliveryReceipt renders the 送达回证, a form of table rows to fill in by hand.
func BenchmarkLetterDeliveryReceipt(b *testing.B) {
	benchmarkRender(b, fixtures()[KindDeliveryReceipt])
}

// BenchmarkLetterMultiPage renders a nine-page letter whose table breaks across pages.
func BenchmarkLetterMultiPage(b *testing.B) {
	benchmarkRender(b, multiPage())
}

// BenchmarkLetterBuildAndRender is the whole job of issuing a letter: the builder executes the
// kind's text template, then the letter is rendered.
func BenchmarkLetterBuildAndRender(b *testing.B) {
	data := typicalRepairNoticeData()
	if _, err := Render(RepairNotice(data)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(RepairNotice(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLetterBuild measures the text template alone.
func BenchmarkLetterBuild(b *testing.B) {
	data := typicalRepairNoticeData()
	RepairNotice(data)
	b.ReportAllocs()
	for b.Loop() {
		RepairNotice(data)
	}
}

func BenchmarkSubset(b *testing.B) {
	fs, err := loadFonts()
	if err != nil {
		b.Fatal(err)
	}
	var set runeSet
	l := fixtures()[KindRepairNotice]
	l.texts(func(s string, _ bool) { set.addString(s) })
	runes := set.runes()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.regular.subset(runes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadFonts measures the one-time cost paid by the first Render in a process.
func BenchmarkLoadFonts(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openFont(DefaultFontDir + "/" + regularFontFile); err != nil {
			b.Fatal(err)
		}
	}
}

package httpapi

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"xinyong/domain"
	"xinyong/storage"
)

// TestNationalItemsAreKeptAndExported: a file with all 21 national headers imports the items the platform does not
// decide by (法定代表人, 处罚内容, 没收金额, 证照, 处罚有效期, the codes, 备注) into the penalty's national object, and
// the export writes them back, so the exported file re-imports as already registered with nothing lost.
func TestNationalItemsAreKeptAndExported(t *testing.T) {
	e, _ := newPenaltyEnv(t)
	tok := e.token("sthjj")
	a := storage.DemoEnterprises[1]
	authority, source := storage.DemoEnterprises[3].USCC, storage.DemoEnterprises[4].USCC
	f := excelize.NewFile()
	defer f.Close()
	header := domain.NationalPenaltyHeaders
	row := map[string]any{
		domain.NatSubjectName: a.Name, domain.NatSubjectCategory: "法人及非法人组织", domain.NatSubjectUSCC: a.USCC,
		domain.NatLegalRep: "王燊", domain.NatDecisionNo: "镇环罚〔2026〕301号", domain.NatViolationType: "大气污染",
		domain.NatFacts: "超标排放", domain.NatLegalBasis: "《大气污染防治法》第九十九条", domain.NatPenaltyCategory: "罚款；没收违法所得",
		domain.NatContent: "罚款人民币贰万元，没收违法所得伍仟元", domain.NatFineWan: 2, domain.NatConfiscationWan: "0.5",
		domain.NatLicense: "排污许可证 91321100MA0000001X001P", domain.NatDecidedOn: "2026-05-20", domain.NatValidUntil: "2029/5/20",
		domain.NatPublicationEnds: "2027-05-20", domain.NatAuthority: "镇江市生态环境局", domain.NatAuthorityUSCC: authority,
		domain.NatSourceUnit: "镇江市生态环境局执法支队", domain.NatSourceUnitUSCC: source, domain.NatRemarks: "已缴纳罚款",
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = row[h]
	}
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &header))
	require.NoError(t, f.SetSheetRow("Sheet1", "A2", &cells))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))

	got := decode[importAnswer](t, e.importRaw(tok, xlsxContentType, buf.Bytes()))
	require.Equal(t, 1, got.Registered, "%+v", got.Rows)
	require.NotNil(t, got.Rows[0].PenaltyID)
	type withNational struct {
		National storage.PenaltyNational `json:"national"`
	}
	resp := e.do("GET", fmt.Sprintf("/api/v1/penalties/%d", *got.Rows[0].PenaltyID), tok, nil)
	require.Equal(t, 200, resp.StatusCode)
	p := decode[withNational](t, resp)
	assert.Equal(t, storage.PenaltyNational{LegalRepresentative: "王燊", Content: "罚款人民币贰万元，没收违法所得伍仟元",
		ConfiscationYuan: "5000.00", License: "排污许可证 91321100MA0000001X001P", ValidUntil: "2029-05-20",
		AuthorityUSCC: authority, SourceUnit: "镇江市生态环境局执法支队", SourceUnitUSCC: source, Remarks: "已缴纳罚款"}, p.National)

	rows := readXLSX(t, e.do("GET", "/api/v1/penalties/export?format=xlsx", tok, nil))
	require.Len(t, rows, 2)
	out := map[string]string{}
	for i, h := range rows[0] {
		if i < len(rows[1]) {
			out[h] = rows[1][i]
		}
	}
	assert.Equal(t, "王燊", out[domain.NatLegalRep])
	assert.Equal(t, "罚款人民币贰万元，没收违法所得伍仟元", out[domain.NatContent])
	assert.Equal(t, "2", out[domain.NatFineWan])
	assert.Equal(t, "0.5", out[domain.NatConfiscationWan])
	assert.Equal(t, "排污许可证 91321100MA0000001X001P", out[domain.NatLicense])
	assert.Equal(t, "2029-05-20", out[domain.NatValidUntil])
	assert.Equal(t, authority, out[domain.NatAuthorityUSCC])
	assert.Equal(t, "镇江市生态环境局执法支队", out[domain.NatSourceUnit])
	assert.Equal(t, source, out[domain.NatSourceUnitUSCC])
	assert.Equal(t, "已缴纳罚款", out[domain.NatRemarks])

	// A registration through the API takes the same items; a bad code is refused with its field.
	b := generalFine("镇环罚〔2026〕302号", a.USCC, a.Name)
	b["national"] = map[string]any{"authority_uscc": "123", "remarks": "备注"}
	requireError(t, e.do("POST", "/api/v1/penalties", tok, b), 422, "invalid_uscc")
	b["national"] = map[string]any{"confiscation_amount_yuan": 1200.5, "remarks": "备注"}
	resp = e.do("POST", "/api/v1/penalties", tok, b)
	require.Equal(t, 201, resp.StatusCode)
	created := decode[withNational](t, resp)
	assert.Equal(t, storage.PenaltyNational{ConfiscationYuan: "1200.50", Remarks: "备注"}, created.National)
}

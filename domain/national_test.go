package domain

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWanToYuanIsExact(t *testing.T) {
	for in, want := range map[string]string{
		"1.5": "15000.00", "0.000001": "0.01", "12": "120000.00", "0": "0.00", "0.5000": "5000.00",
		"123456.789012": "1234567890.12", "1,234.5": "12345000.00", "1.5万元": "15000.00", "1.5E-2": "150.00",
		"2.3456E+1": "234560.00", ".25": "2500.00", "0.0000010": "0.01", "": "",
	} {
		got, err := WanToYuan(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"-1", "1.0000001", "abc", "1.2.3", ".", "1e", "１"} {
		_, err := WanToYuan(in)
		assert.Error(t, err, in)
	}
	for yuan, wan := range map[string]string{"15000.00": "1.5", "0.01": "0.000001", "120000.00": "12", "0.00": "0",
		"1234567890.12": "123456.789012", "5000": "0.5"} {
		assert.Equal(t, wan, YuanToWan(yuan), yuan)
		back, err := WanToYuan(wan)
		require.NoError(t, err)
		y, _ := WanToYuan(YuanToWan(yuan))
		assert.Equal(t, y, back)
	}
}

func TestPenaltyTypeWords(t *testing.T) {
	got, err := ParsePenaltyTypeWords("警告；罚款；没收违法所得、没收非法财物")
	require.NoError(t, err)
	assert.Equal(t, []PenaltyType{PenaltyWarning, PenaltyFine, PenaltyConfiscation}, got)
	got, err = ParsePenaltyTypeWords("罚款,fine 责令停产停业；法律、行政法规规定的其他行政处罚")
	require.NoError(t, err)
	assert.Equal(t, []PenaltyType{PenaltyFine, PenaltyProductionSuspension, PenaltyOther}, got)
	_, err = ParsePenaltyTypeWords("罚款；行政拘留")
	assert.ErrorContains(t, err, "行政拘留")
	for _, pt := range PenaltyTypes {
		back, err := ParsePenaltyTypeWords(PenaltyTypeWords([]string{string(pt), string(PenaltyFine)}))
		require.NoError(t, err, pt)
		assert.Contains(t, back, pt)
	}
	c, ok := ParseSubjectCategory("自然人")
	assert.True(t, ok)
	assert.Equal(t, SubjectNaturalPerson, c)
	_, ok = ParseSubjectCategory("外星人")
	assert.False(t, ok)
}

func TestSpreadsheetNumberDropsBinaryNoise(t *testing.T) {
	for in, want := range map[string]string{
		"1.4999999999999999E-2": "0.015", "0.30000000000000004": "0.3", "1.5": "1.5", "abc": "abc",
		"99999999999999999": "100000000000000000", "12345.678901": "12345.678901", "2.9999999999999996": "3",
	} {
		assert.Equal(t, want, SpreadsheetNumber(in), in)
	}
	y, err := WanToYuan(SpreadsheetNumber("1.4999999999999999E-2"))
	require.NoError(t, err)
	assert.Equal(t, "150.00", y)
}

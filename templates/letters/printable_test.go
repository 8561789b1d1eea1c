package letters

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckPrintableRefusesWhatCannotBePrinted(t *testing.T) {
	for _, c := range []struct{ value, message string }{
		// U+20000 is outside the BMP, which gofpdf cannot address.
		{"𠀀记贸易有限公司", "字段“企业名称”含有无法打印的字符“𠀀”，请核对或改用规范汉字"},
		// U+3400 is in the BMP (CJK Extension A) but LXGW WenKai has no glyph for it.
		{"㐀记商行", "字段“企业名称”含有无法打印的字符“㐀”，请核对或改用规范汉字"},
		// Each character once, in order; invisible ones by code point.
		{"𠮷野家㐀𠮷\a\u200b", "字段“企业名称”含有无法打印的字符“𠮷”、“㐀”、“U+0007”、“U+200B”，请核对或改用规范汉字"},
		{"坏\xff字节", "字段“企业名称”含有无法打印的字符“U+FFFD”，请核对或改用规范汉字"},
	} {
		err := CheckPrintable("企业名称", c.value)
		require.Error(t, err, c.value)
		assert.Equal(t, c.message, err.Error())
		var coded interface{ ErrorCode() string }
		require.True(t, errors.As(err, &coded))
		assert.Equal(t, "unprintable_character", coded.ErrorCode())
		var unprintable *UnprintableError
		require.True(t, errors.As(err, &unprintable))
		assert.Equal(t, "企业名称", unprintable.Field)
	}
}

func TestCheckPrintableAcceptsNames(t *testing.T) {
	for _, v := range []string{
		"", "燊堃喆昇啰", rareEnterprise, rarePerson, rareDept, creditOffice, "福州市鼓楼区五四路燊堃大厦18层",
		"Fuzhou ABC Trading Co., Ltd.（福州）", "91350100M000100Y43", "张　三", "李\t四\n", "〓",
	} {
		assert.NoError(t, CheckPrintable("名称", v), v)
	}
	// Everything the fixtures print passes too.
	for k, l := range fixtures() {
		l.texts(func(s string, _ bool) { assert.NoError(t, CheckPrintable("正文", s), k) })
	}
}

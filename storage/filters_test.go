package storage

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"xinyong/domain"
)

// A list's limit is written into its statement rounded up to a few sizes, never below what was asked.
func TestLimitsRoundUpToAFewSizes(t *testing.T) {
	sizes := map[string]bool{}
	for n := 1; n <= 201; n++ {
		got := limitOf(n)
		sizes[got] = true
		size, err := strconv.Atoi(got)
		require.NoError(t, err)
		require.GreaterOrEqual(t, size, n)
		require.Len(t, firstN(make([]int, size), n), n)
	}
	require.LessOrEqual(t, len(sizes), 13, "the API's limits make only a handful of statements")
	require.Equal(t, "51", limitOf(51), "a page of 50 and the row that tells whether there is a next one")
	require.Equal(t, "3000", limitOf(2500))
	require.Len(t, firstN([]int{1, 2}, 5), 2)
}

// A value of the vocabulary is written into the statement; anything else is an argument, so that input cannot add
// statements of its own.
func TestEnumFiltersAreLiteralsOnlyForTheirVocabulary(t *testing.T) {
	var c conds
	addEnum(&c, "w.status = $?", "in_progress", domain.WithdrawalStatuses)
	addEnum(&c, "w.status = $?", "x' OR '1'='1", domain.WithdrawalStatuses)
	require.Equal(t, "w.status = 'in_progress' AND w.status = $1", c.sql())
	require.Equal(t, []any{"x' OR '1'='1"}, c.args)
}

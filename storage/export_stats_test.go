package storage

// StatisticsQueries exposes the statistics' queries to the EXPLAIN test.
var StatisticsQueries = statisticsQueries

// StatisticsTimeQueries are those that take the period as times.
var StatisticsTimeQueries = statsTimeQueries

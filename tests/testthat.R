library(testthat)
library(panelattrition)

test_check("panelattrition")

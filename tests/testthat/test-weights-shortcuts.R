# Shortcuts in attrition_weights() and fit_logit() must give what the
# slower ways gave: the panel's person index, which_rows(), the screen for
# non-finite values.

test_that("the panel's person index matches the ids, also when rebuilt", {
  s <- sim_panel(200)
  p <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  expect_type(p$person, "integer")
  expect_identical(p$ids[p$person], p$data$id)
  by_name <- match(as.character(p$data$id), rownames(p$response))
  expect_identical(panelattrition:::person_index(p), by_name)
  q <- p
  q$person <- NULL
  expect_identical(panelattrition:::person_index(q), by_name)
  w1 <- attrition_weights(p, ~ g + age, history = "y")
  w2 <- attrition_weights(q, ~ g + age, history = "y")
  expect_identical(w1$weights, w2$weights)
})

test_that("fit_logit() names the first column that is not finite", {
  set.seed(5)
  x <- cbind("(Intercept)" = 1, a = stats::rnorm(40), b = stats::rnorm(40))
  y <- rep(0:1, 20)
  for (bad in list(NA, NaN, Inf, -Inf)) {
    xb <- x
    xb[7, "b"] <- bad
    xb[9, "a"] <- if (is.na(bad)) bad else -bad
    err <- expect_error(panelattrition:::fit_logit(xb, y),
                        class = "panelattrition_arg_error")
    expect_identical(err$argument, "x")
    expect_identical(conditionMessage(err),
                     "`x` must contain only finite values; column a does not.")
  }
  # column sums that overflow are not taken for infinite values
  xb <- x
  xb[1:2, "b"] <- .Machine$double.xmax
  msg <- tryCatch({
    panelattrition:::fit_logit(xb, y)
    ""
  }, error = conditionMessage)
  expect_false(grepl("finite values", msg))
  xl <- x > 0
  xl[3, 2] <- NA
  expect_error(panelattrition:::fit_logit(xl, y), "column a does not")
})

test_that("history takes each person's first row at the wave", {
  s <- sim_panel(100)
  p <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  first <- which(p$data$wave == "T1")[1:3]
  p$data <- rbind(p$data, p$data[first, ])
  p$data$y[nrow(p$data) - 2:0] <- -1
  p$person <- NULL
  h <- panelattrition:::history_values(p, "y", "T1", "fail")
  at <- p$data[p$data$wave == "T1", ]
  expect_identical(h$values$y_prev,
                   at$y[match(rownames(p$response), at$id)])
  expect_identical(h$terms, "y_prev")
})

test_that("which_rows() is which() with the names", {
  resp <- matrix(c(TRUE, FALSE, TRUE, TRUE, FALSE, TRUE), 3,
                 dimnames = list(as.character(c(7L, 8L, 100000L)), c("a", "b")))
  for (t in 1:2) {
    expect_identical(panelattrition:::which_rows(resp[, t]), which(resp[, t]))
  }
  expect_identical(panelattrition:::which_rows(c(FALSE, TRUE, NA, TRUE)),
                   which(c(FALSE, TRUE, NA, TRUE)))
  expect_identical(panelattrition:::which_rows(logical()), which(logical()))
})

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

test_that("history values give NA to people who missed the wave", {
  s <- sim_panel(300, seed = 21)
  long <- s$long
  # some people skip T2 and come back at T3; some leave after T1
  skip <- unique(long$id[long$wave == "T3"])[1:12]
  long <- long[!(long$wave == "T2" & long$id %in% skip), ]
  long$yc <- factor(ifelse(long$y > 55, "high", "low"))
  long$y[long$wave == "T2"][c(4, 9)] <- NA
  long$yc[long$wave == "T2"][c(4, 20)] <- NA
  p <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  expect_true(any(!p$response[, 2] & p$response[, 3]))
  at <- long[long$wave == "T2", ]
  who <- match(rownames(p$response), at$id)
  expect_true(sum(is.na(who)) >= 12)

  h <- panelattrition:::history_values(p, c("y", "yc"), "T2", "indicator")
  y <- at$y[who]
  missing <- is.na(y) & !is.na(who)
  y[missing] <- mean(at$y, na.rm = TRUE)
  yc <- as.character(at$yc[who])
  yc[is.na(yc) & !is.na(who)] <- "(missing)"
  expect_identical(h$values$y_prev, y)
  expect_identical(h$values$y_prev_missing,
                   ifelse(is.na(who), NA_real_, as.numeric(missing)))
  expect_identical(h$values$yc_prev, factor(yc))
  expect_identical(h$terms, c("y_prev", "yc_prev", "y_prev_missing"))
  expect_identical(nrow(h$values), nrow(p$response))

  # the same from rows in another order and no person index, which takes
  # the pairing of people and rows by their ids
  q <- p
  q$data <- q$data[rev(seq_len(nrow(q$data))), ]
  q$person <- NULL
  expect_identical(panelattrition:::history_values(q, c("y", "yc"), "T2",
                                                   "indicator"), h)
  expect_error(panelattrition:::history_values(p, "y", "T2", "fail"),
               "history at wave T2: `y_prev` \\(2\\)",
               class = "panelattrition_missing_error")
})

test_that("missing and infinite values are counted per column", {
  handle_missing <- panelattrition:::handle_missing
  d <- data.frame(a = c(1, NA, Inf, 4, NaN),
                  f = factor(c("u", NA, NA, "v", "u")),
                  i = c(1L, NA, 3L, 4L, 5L), s = c("p", "q", NA, "q", "p"),
                  b = c(TRUE, NA, FALSE, TRUE, TRUE), z = 1:5 / 2)
  expect_error(handle_missing(d, "fail", "baseline covariates"),
               "Infinite values in the baseline covariates: `a` (1).",
               fixed = TRUE, class = "panelattrition_missing_error")
  d$a[3] <- 3
  err <- expect_error(handle_missing(d, "fail", "baseline covariates"),
                      class = "panelattrition_missing_error")
  expect_match(conditionMessage(err),
               "`a` (2), `f` (2), `i` (1), `s` (1), `b` (1).", fixed = TRUE)
  expect_identical(err$counts, c(2, 2, 1, 1, 1))
  expect_identical(handle_missing(d["z"], "fail", "x"), d["z"])
  # a factor whose codes all name a level has nothing missing, even when
  # one level is NA itself
  lv <- data.frame(f = factor(c("u", NA, "v"), exclude = NULL))
  expect_identical(handle_missing(lv, "fail", "x"), lv)
})

test_that("stage vectors are named as a column of the response matrix", {
  resp <- matrix(c(TRUE, TRUE, TRUE, TRUE, FALSE, TRUE, FALSE, TRUE), 4,
                 dimnames = list(c("p1", "p2", "p9", "p4"), c("T1", "T2")))
  answered <- unname(resp)
  ids <- rownames(resp)
  risk <- panelattrition:::which_rows(answered[, 1], ids)
  expect_identical(risk, which(resp[, 1]))
  for (r in list(risk, unname(risk), seq_len(4))) {
    expect_identical(panelattrition:::responded_at(answered[, 2], r, ids),
                     resp[, 2][r])
  }
  # one person: a column of the matrix has no names
  one <- resp[1, , drop = FALSE]
  expect_identical(panelattrition:::which_rows(unname(one)[, 1], NULL),
                   which(one[, 1]))
})

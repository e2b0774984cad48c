# ipw_gee(): missing outcomes are left out (with a message), and a fit
# without weights for comparison.

gee_missing_setup <- function() {
  s <- sim_panel(600, seed = 12)
  long <- s$long
  set.seed(3)
  gone <- sample(nrow(long), 25)
  long$y[gone] <- NA
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  list(panel = panel, w = attrition_weights(panel, ~ g + age), long = long)
}

test_that("missing outcomes are left out, with a message giving the count", {
  m <- gee_missing_setup()
  expect_message(fit <- ipw_gee(y ~ wave + g, m$w, keep = "fitted"),
                 "25 answers with missing values left out")
  expect_identical(nobs(fit), sum(!is.na(m$panel$data$y)))
  # oracle: independence GEE coefficients are weighted least squares on
  # the answers kept, with each answer's attrition weight
  d <- m$panel$data
  rows <- match(d$id, rownames(m$w$weights))
  d$wt <- m$w$weights[cbind(rows, as.integer(d$wave))]
  ok <- !is.na(d$y)
  ols <- stats::lm(y ~ wave + g, data = d[ok, ], weights = wt)
  expect_equal(unname(coef(fit)), unname(coef(ols)), tolerance = 1e-8)
  expect_true(all(is.na(fit$fitted[!ok])))
  expect_equal(fit$fitted[ok], unname(stats::fitted(ols)), tolerance = 1e-8)
})

test_that("weights = NULL fits without weights, for comparison", {
  m <- gee_missing_setup()
  expect_message(fit0 <- ipw_gee(y ~ wave + g, NULL, panel = m$panel))
  d <- m$panel$data
  ols <- stats::lm(y ~ wave + g, data = d[!is.na(d$y), ])
  expect_equal(unname(coef(fit0)), unname(coef(ols)), tolerance = 1e-8)
  # the same through the weights object's panel
  fit1 <- suppressMessages(ipw_gee(y ~ wave + g, weights = NULL, panel = m$w))
  expect_equal(coef(fit1), coef(fit0))
  expect_false(fit0$weighted)
  expect_error(ipw_gee(y ~ wave + g, NULL), class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave + g, m$w, panel = m$panel),
               class = "panelattrition_arg_error")
  err <- tryCatch(ipw_gee(y ~ wave + gg, m$w), error = identity)
  expect_s3_class(err, "panelattrition_arg_error")
  expect_match(conditionMessage(err), "^ipw_gee\\(\\): ")
  expect_match(conditionMessage(err), "Did you mean `g`?", fixed = TRUE)
})

test_that("errors name the function the user called", {
  m <- gee_missing_setup()
  err <- tryCatch(wave_means(m$w, "yy"), error = identity)
  expect_match(conditionMessage(err), "^wave_means\\(\\): ")
  expect_match(conditionMessage(err), "Did you mean `y`?", fixed = TRUE)
  err <- tryCatch(plot(wave_means(m$w, "y"), type = "bad"), error = identity)
  expect_match(conditionMessage(err), "^plot\\(\\): `type`")
  err <- tryCatch(panelattrition::transitions(m$w, "y", by = "gg"),
                  error = identity)
  expect_match(conditionMessage(err), "^transitions\\(\\): ")
  expect_identical(did_you_mean("zz", c("id", "y")), character())
})

test_that("bare column names and a missing delta give classed errors", {
  m <- gee_missing_setup()
  err <- tryCatch(wave_means(m$w, y), error = identity)
  expect_s3_class(err, "panelattrition_arg_error")
  expect_match(conditionMessage(err), "such as \"y\"", fixed = TRUE)
  expect_error(wave_means(m$w), class = "panelattrition_arg_error")
  expect_error(wave_means(m$w, "y", by = g), class = "panelattrition_arg_error")
  expect_error(transitions(m$w, status), class = "panelattrition_arg_error")
  ch <- panel_change(m$w, "y")
  err <- tryCatch(tipping_point(ch), error = identity)
  expect_s3_class(err, "panelattrition_arg_error")
  expect_identical(err$argument, "delta")
})

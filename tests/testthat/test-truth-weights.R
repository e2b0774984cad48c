# Truth tests for the weights' options (issue 12, defects 3, 6, 9, 10):
# fixed-seed panels large enough that an estimate must land within 4
# standard errors of the value computed from the full simulated data, and
# the errors that replace estimates which cannot be right.

# Three waves; response at T2 and T3 depends on a group g and a covariate
# x (MAR on baseline); the outcome's mean is additive in wave and g.
sim_numerator <- function(n = 30000, seed = 3) {
  set.seed(seed)
  g <- factor(sample(c("a", "b"), n, replace = TRUE))
  x <- stats::rnorm(n)
  gb <- as.numeric(g == "b")
  y <- sapply(1:3, function(t) 0.5 + 0.5 * t + 0.5 * gb + x + stats::rnorm(n))
  r2 <- stats::runif(n) < stats::plogis(0.5 - 1.5 * gb + 0.8 * x)
  r3 <- r2 & stats::runif(n) < stats::plogis(0.5 + 1.0 * gb + 0.8 * x)
  r <- cbind(TRUE, r2, r3)
  ids <- seq_len(n)
  waves <- c("T1", "T2", "T3")
  full <- data.frame(id = rep(ids, 3), wave = rep(waves, each = n),
                     g = rep(g, 3), x = rep(x, 3), y = c(y))
  full$up <- factor(ifelse(full$y > 1.5, "up", "down"))
  list(long = full[c(r), ], full = full)
}

test_that("a covariate numerator: per-group means and GEE conditioning on it are right; marginal estimates are refused", {
  s <- sim_numerator()
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "x"))
  wg <- attrition_weights(panel, ~ g + x, numerator = ~ g)

  # the numerator is constant within groups of g: per-group means are right
  m <- wave_means(wg, "y", by = "g")
  truth <- stats::aggregate(y ~ wave + g, s$full, mean)
  tr <- truth$y[match(paste(m$wave, m$g), paste(truth$wave, truth$g))]
  expect_true(all(abs(m$estimate - tr) < 4 * m$std_error))
  expect_identical(nrow(m), 6L)  # no overall rows

  # and so is a GEE whose mean model conditions on g
  fit <- ipw_gee(y ~ wave + g, wg)
  beta <- stats::coef(stats::lm(y ~ wave + g, s$full))
  expect_true(all(abs(stats::coef(fit) - beta) < 4 * sqrt(diag(fit$vcov))))

  # the doubly robust estimator uses the unstabilised weights: still right
  a <- wave_means(wg, "y", estimator = "aipw")
  truth_all <- tapply(s$full$y, s$full$wave, mean)
  expect_true(all(abs(a$estimate - truth_all) < 4 * a$std_error))

  # marginal estimates on numerator ~ x weights would be far off (on the
  # code before this check, T2 came out at 2.12 against a truth of 1.76,
  # 28 standard errors): refused
  wx <- attrition_weights(panel, ~ g + x, numerator = ~ x)
  err <- expect_error(wave_means(wx, "y"),
                      class = "panelattrition_numerator_error")
  expect_match(conditionMessage(err), "wave_means()", fixed = TRUE)
  expect_match(conditionMessage(err), "numerator = ~x", fixed = TRUE)
  expect_identical(err$variables, "x")
  expect_error(wave_means(wx, "y", se = "bootstrap",
                          control = boot_control(B = 5, seed = 1)),
               class = "panelattrition_numerator_error")
  expect_error(wave_means(wg, "y"), class = "panelattrition_numerator_error")
  expect_error(wave_means(wx, "y", by = "g"),
               class = "panelattrition_numerator_error")
  expect_error(panel_change(wx, "y", from = "T1", to = "T3"),
               class = "panelattrition_numerator_error")
  expect_error(transitions(wx, "up", from = "T1", to = "T2"),
               class = "panelattrition_numerator_error")
  err <- expect_error(ipw_gee(y ~ wave, wg),
                      class = "panelattrition_numerator_error")
  expect_identical(err$variables, "g")
  expect_match(conditionMessage(err), "Add `g` to `formula`", fixed = TRUE)
  # per-group changes and transitions are fine
  ch <- panel_change(wg, "y", from = "T1", to = "T3", by = "g")
  full_w <- stats::reshape(s$full[c("id", "wave", "g", "y")], idvar = "id",
                           timevar = "wave", direction = "wide")
  d_tr <- tapply(full_w$y.T3 - full_w$y.T1, full_w$g.T1, mean)
  expect_true(all(abs(ch$estimate - d_tr[as.character(ch$g)]) <
                    4 * ch$std_error))
  expect_s3_class(transitions(wg, "up", from = "T1", to = "T2", by = "g"),
                  "pa_transitions")
  # unstabilised, or stabilised by the response rate: no restriction
  expect_s3_class(wave_means(attrition_weights(panel, ~ g + x,
                                               numerator = ~ x,
                                               stabilize = FALSE), "y"),
                  "pa_estimates")
})

test_that("sequential linear calibration with negative weights stops naming the waves, not an internal argument", {
  set.seed(6)
  n <- 5000
  x <- stats::rnorm(n)
  y1 <- x + stats::rnorm(n)
  y2 <- y1 + stats::rnorm(n)
  y3 <- y2 + stats::rnorm(n)
  r2 <- stats::runif(n) < stats::plogis(0.5 + 1.5 * x)
  r3 <- r2 & stats::runif(n) < stats::plogis(0.5 + 1.5 * y2)
  ids <- seq_len(n)
  long <- rbind(data.frame(id = ids, wave = "T1", x = x, y = y1),
                data.frame(id = ids, wave = "T2", x = x, y = y2)[r2, ],
                data.frame(id = ids, wave = "T3", x = x, y = y3)[r3, ])
  panel <- panel_data(long, id = "id", wave = "wave", baseline = "x")
  err <- expect_error(
    attrition_weights(panel, ~ x, method = "calibrate", calfun = "linear",
                      history = "y"),
    class = "panelattrition_negative_weights_error"
  )
  expect_s3_class(err, "panelattrition_calibration_error")
  msg <- conditionMessage(err)
  expect_match(msg, "calibration at wave T2", fixed = TRUE)
  expect_match(msg, "cannot go on to wave T3", fixed = TRUE)
  expect_match(msg, "calfun = \"logit\" with bounds", fixed = TRUE)
  expect_no_match(msg, "`d`", fixed = TRUE)
  expect_identical(err$wave, "T2")
  expect_identical(err$stage, "T3")
  expect_gt(err$n, 0)
  # a single linear calibration may give negative weights: that is allowed
  w1 <- attrition_weights(panel, ~ x, method = "calibrate", calfun = "linear",
                          monotone = FALSE)
  expect_true(any(w1$weights < 0, na.rm = TRUE))
  # and the suggested alternatives run through
  w <- attrition_weights(panel, ~ x, method = "calibrate", calfun = "logit",
                         bounds = c(0.05, 20), history = "y")
  expect_true(all(w$weights > 0, na.rm = TRUE))
  # the margins and design columns are checked before they reach the solver
  frame_panel <- panel_data(long[long$id <= 4000, ],
                            id = "id", wave = "wave",
                            frame = data.frame(id = ids, x = x),
                            baseline = "x")
  err <- expect_error(
    attrition_weights(frame_panel, ~ x, method = "calibrate",
                      margins = c("(Intercept)" = n, x = Inf)),
    class = "panelattrition_arg_error"
  )
  expect_identical(err$argument, "margins")
})

test_that("outcomes too large for the weighted sums are a classed error naming them", {
  s <- sim_panel(400)
  s$long$big <- s$long$y * 1e306
  s$long$inf <- s$long$y
  s$long$inf[7] <- Inf
  s$long$status <- as.numeric(s$long$y > 55)
  s$long$status[9] <- Inf
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  nonfinite <- function(expr, name) {
    err <- expect_error(expr, class = "panelattrition_nonfinite_error")
    expect_identical(err$variables, name)
    expect_match(conditionMessage(err), sprintf("`%s`", name), fixed = TRUE)
  }
  boot <- boot_control(B = 10, seed = 2)
  for (v in c("big", "inf")) {
    nonfinite(wave_means(w, v), v)
    nonfinite(wave_means(w, v, se = "naive"), v)
    nonfinite(wave_means(w, v, se = "bootstrap", control = boot), v)
    nonfinite(wave_means(w, v, estimator = "aipw"), v)
    nonfinite(wave_means(w, v, estimator = "complete_case"), v)
    nonfinite(panel_change(w, v), v)
    nonfinite(panel_change(w, v, se = "bootstrap", control = boot), v)
    nonfinite(ipw_gee(stats::as.formula(paste(v, "~ wave")), w), v)
    nonfinite(tilt_sensitivity(w, v, alpha = c(0, 0.1)), v)
    nonfinite(attrition_bounds(w, v), v)
  }
  nonfinite(transitions(w, "status"), "status")
  # below the limit, estimates are finite numbers on the outcome's scale
  s$long$large <- s$long$y * 1e100
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y")
  m <- wave_means(w, "large")
  expect_equal(m$estimate, wave_means(w, "y")$estimate * 1e100,
               tolerance = 1e-10)
  tl <- tilt_sensitivity(w, "large", alpha = 0)
  expect_true(all(is.finite(tl$estimate)))
  err <- expect_error(tilt_sensitivity(w, "large", alpha = c(0, 1)),
                      class = "panelattrition_nonfinite_error")
  expect_match(conditionMessage(err), "`large`", fixed = TRUE)
})

# Four waves; the outcome carries a person effect, so y at T2 says more
# about y at T4 than y at T3 alone; response at T4 depends on y at T2 and
# T3 (MAR given the past two waves).
sim_lags <- function(n = 30000, seed = 9) {
  set.seed(seed)
  x <- stats::rnorm(n)
  u <- stats::rnorm(n)
  y <- sapply(1:4, function(t) 0.5 * x + u + stats::rnorm(n))
  r2 <- stats::runif(n) < stats::plogis(1.2 + 0.3 * y[, 1])
  r3 <- r2 & stats::runif(n) < stats::plogis(1.2 + 0.3 * y[, 2])
  r4 <- r3 & stats::runif(n) < stats::plogis(1 - 1.0 * y[, 2] + 0.3 * y[, 3])
  r <- cbind(TRUE, r2, r3, r4)
  ids <- seq_len(n)
  long <- do.call(rbind, lapply(1:4, function(t) {
    data.frame(id = ids, wave = paste0("T", t), x = x, y = y[, t])[r[, t], ]
  }))
  list(long = long, truth = colMeans(y))
}

test_that("history_lags = 2 recovers the T4 mean when response depends on two lags; one lag does not", {
  s <- sim_lags()
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = "x")
  w1 <- attrition_weights(panel, ~ x, history = "y")
  w2 <- attrition_weights(panel, ~ x, history = "y", history_lags = 2)
  m1 <- wave_means(w1, "y")
  m2 <- wave_means(w2, "y")
  # one lag: visibly biased at T4 (about 10 standard errors)
  expect_gt(abs(m1$estimate[4] - s$truth[4]), 4 * m1$std_error[4])
  # two lags: right at every wave
  expect_true(all(abs(m2$estimate - s$truth) < 4 * m2$std_error))
  a2 <- wave_means(w2, "y", estimator = "aipw")
  expect_true(all(abs(a2$estimate - s$truth) < 4 * a2$std_error))

  # lag 1 is what it was; further lags are named _lag2, _lag3
  expect_identical(w1$weights,
                   attrition_weights(panel, ~ x, history = "y",
                                     history_lags = 1)$weights)
  rm <- response_models(w2)
  expect_identical(rm$term[rm$wave == "T2"], c("(Intercept)", "x", "y_prev"))
  expect_identical(rm$term[rm$wave == "T4"],
                   c("(Intercept)", "x", "y_prev", "y_lag2"))
  w_all <- attrition_weights(panel, ~ x, history = "y", history_lags = Inf)
  rm_all <- response_models(w_all)
  expect_identical(rm_all$term[rm_all$wave == "T4"],
                   c("(Intercept)", "x", "y_prev", "y_lag2", "y_lag3"))
  # the lag-2 coefficient is the one that drives response at T4
  expect_lt(abs(rm$estimate[rm$wave == "T4" & rm$term == "y_lag2"] + 1), 0.1)

  # the T2 -> T4 change, the bootstrap and the sensitivity analyses run on
  # the stages' several lags
  ch <- panel_change(w2, "y", from = "T2", to = "T4")
  expect_lt(abs(ch$estimate - (s$truth[4] - s$truth[2])), 4 * ch$std_error)
  b <- wave_means(w2, "y", se = "bootstrap",
                  control = boot_control(B = 40, seed = 3))
  expect_equal(b$estimate, m2$estimate)
  expect_true(all(abs(b$std_error[-1] / m2$std_error[-1] - 1) < 0.35))
  tp <- tipping_point(m2, delta = c(0, 0.5), null = 0)
  expect_equal(tp$estimate[tp$delta == 0], m2$estimate)
  tl <- tilt_sensitivity(w2, "y", alpha = 0, wave = "T4")
  expect_true(is.finite(tl$estimate))
  expect_s3_class(summary(w2), "summary.pa_weights")
  expect_output(print(w2), "T4")
})

test_that("history_lags is checked", {
  s <- sim_panel(300)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  for (bad in list(0, -1, 1.5, NA, "2", c(1, 2), NULL)) {
    err <- expect_error(
      attrition_weights(panel, ~ g + age, history = "y", history_lags = bad),
      class = "panelattrition_arg_error"
    )
    expect_identical(err$argument, "history_lags")
  }
  err <- expect_error(attrition_weights(panel, ~ g + age, history_lags = 2),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "history_lags")
  expect_match(conditionMessage(err), "`history`", fixed = TRUE)
})

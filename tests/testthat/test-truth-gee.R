# ipw_gee() against known truth: one large simulated three-wave panel per
# dropout mechanism, with the marginal means of every wave known
# analytically. Each estimate must land within 4 standard errors of the
# truth, for every working correlation.

# Baseline x ~ N(0, 1) and a person effect u ~ N(0, 1); a Gaussian outcome
# y_t = m_t + 0.8 x + u + e_t and a binary one whose marginal model given
# x is logit-linear: h_t = 1{c_t + 0.8 x + L_t > 0} with L_t logistic,
# built from the same u + e_t so that it is correlated within people and
# with y. Monotone dropout is MAR on x and the previous wave's y;
# intermittent response depends on x only (independently over waves).
truth_gee_panel <- function(n = 20000, seed = 2024, monotone = TRUE) {
  set.seed(seed)
  x <- stats::rnorm(n)
  u <- stats::rnorm(n)
  m <- c(1, 1.3, 1.6)
  cc <- c(-0.3, 0, 0.4)
  e <- matrix(stats::rnorm(3 * n), n)
  y <- sapply(1:3, function(t) m[t] + 0.8 * x + u + e[, t])
  h <- sapply(1:3, function(t) {
    as.numeric(cc[t] + 0.8 * x +
                 stats::qlogis(stats::pnorm((u + e[, t]) / sqrt(2))) > 0)
  })
  if (monotone) {
    r2 <- stats::runif(n) < stats::plogis(1 + 0.5 * x - 0.8 * (y[, 1] - 1))
    r3 <- r2 & stats::runif(n) <
      stats::plogis(1.2 + 0.3 * x - 0.8 * (y[, 2] - 1.3))
  } else {
    r2 <- stats::runif(n) < stats::plogis(0.5 + 0.9 * x)
    r3 <- stats::runif(n) < stats::plogis(0.3 - 0.9 * x)
  }
  r <- cbind(TRUE, r2, r3)
  ids <- sprintf("p%05d", seq_len(n))
  long <- do.call(rbind, lapply(1:3, function(t) {
    data.frame(id = ids, wave = paste0("T", t), x = x, y = y[, t],
               h = h[, t])[r[, t], ]
  }))
  panel <- panel_data(long, id = "id", wave = "wave", baseline = "x")
  w <- if (monotone) {
    attrition_weights(panel, ~ x, history = "y")
  } else {
    attrition_weights(panel, ~ x, monotone = FALSE)
  }
  # P(h_t = 1) = E[plogis(c_t + 0.8 x)], x standard normal
  p_h <- vapply(cc, function(c0) {
    stats::integrate(function(v) stats::plogis(c0 + 0.8 * v) * stats::dnorm(v),
                     -Inf, Inf, rel.tol = 1e-10)$value
  }, numeric(1))
  list(
    w = w,
    # (Intercept), waveT3 and x of y ~ wave (+ x) and h ~ wave (+ x)
    y_wave = c(m[1], m[3] - m[1]),
    h_wave = stats::qlogis(c(p_h[1], p_h[3])) - c(0, stats::qlogis(p_h[1])),
    y_wave_x = c(m[1], m[3] - m[1], 0.8),
    h_wave_x = c(cc[1], cc[3] - cc[1], 0.8)
  )
}

# |estimate - truth| / SE for the named coefficients of every working
# correlation
truth_z <- function(formula, w, family, truth, terms) {
  vapply(c("independence", "exchangeable", "ar1"), function(cs) {
    fit <- ipw_gee(formula, w, family = family, corstr = cs)
    b <- coef(fit)[terms]
    se <- sqrt(diag(vcov(fit)))[terms]
    abs(b - truth) / se
  }, numeric(length(terms)))
}

mono <- truth_gee_panel()

test_that("weighted GEE of y ~ wave is within 4 SE of the truth under MAR dropout on history, for every working correlation", {
  # the old equations (weights on both sides of R^{-1} over the answers)
  # put the T3 - T1 change 14 SE (Gaussian) and 7 SE (binary) too high
  z <- truth_z(y ~ wave, mono$w, "gaussian", mono$y_wave,
               c("(Intercept)", "waveT3"))
  expect_true(all(z < 4), info = paste(round(z, 2), collapse = " "))
  z <- truth_z(h ~ wave, mono$w, "binomial", mono$h_wave,
               c("(Intercept)", "waveT3"))
  expect_true(all(z < 4), info = paste(round(z, 2), collapse = " "))
})

test_that("weighted GEE with a baseline covariate is within 4 SE of the truth under MAR dropout on history", {
  z <- truth_z(y ~ wave + x, mono$w, "gaussian", mono$y_wave_x,
               c("(Intercept)", "waveT3", "x"))
  expect_true(all(z < 4), info = paste(round(z, 2), collapse = " "))
  z <- truth_z(h ~ wave + x, mono$w, "binomial", mono$h_wave_x,
               c("(Intercept)", "waveT3", "x"))
  expect_true(all(z < 4), info = paste(round(z, 2), collapse = " "))
})

test_that("weighted GEE is within 4 SE of the truth with intermittent response on baseline covariates", {
  inter <- truth_gee_panel(seed = 2025, monotone = FALSE)
  z <- truth_z(y ~ wave, inter$w, "gaussian", inter$y_wave,
               c("(Intercept)", "waveT3"))
  expect_true(all(z < 4), info = paste(round(z, 2), collapse = " "))
  z <- truth_z(h ~ wave + x, inter$w, "binomial", inter$h_wave_x,
               c("(Intercept)", "waveT3", "x"))
  expect_true(all(z < 4), info = paste(round(z, 2), collapse = " "))
})

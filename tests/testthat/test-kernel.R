# The estimators' kernel (src/estimate.c): cell means, the sandwich's stage
# gradients and the aggregation of influence values, against plain R
# formulas and survey; then known truth through it at scale.

test_that("cell means, counts and estimating functions equal R's sums", {
  person <- c(1L, 2L, 3L, 1L, 3L, 4L)
  cell <- c(1L, 1L, 1L, 2L, 2L, 2L)
  w <- c(1, 2, 1.5, 1, 2, 0.5)
  y <- c(3, 4, 8, 1, 0, 6)
  fit <- .Call(panelattrition:::C_cell_means, person, cell, w, y, 5, 3L,
               TRUE)
  mu <- c(sum(w[1:3] * y[1:3]) / sum(w[1:3]),
          sum(w[4:6] * y[4:6]) / sum(w[4:6]))
  expect_equal(fit$estimate, c(mu, NA), tolerance = 1e-15)
  expect_identical(fit$n, c(3L, 3L, 0L))
  expect_equal(fit$sum_w, c(4.5, 3.5, 0))
  expect_equal(fit$sum_w2, c(sum(w[1:3]^2), sum(w[4:6]^2), 0))
  phi <- matrix(0, 5, 3)
  phi[cbind(person, cell)] <- w * (y - mu[cell])
  expect_equal(fit$phi, phi, tolerance = 1e-15)
  expect_equal(fit$resid, y - mu[cell], tolerance = 1e-15)
  # without the people x cells matrix (dense = FALSE) the rest is the same
  lean <- .Call(panelattrition:::C_cell_means, person, cell, w, y, 5, 3L,
                FALSE)
  expect_null(lean$phi)
  expect_identical(lean[names(lean) != "phi"], fit[names(fit) != "phi"])
})

test_that("a stage's gradient is X' diag(a) E, from sparse and from dense rows", {
  set.seed(3)
  n <- 30
  risk <- sort(sample.int(n, 20))
  x <- cbind(1, rnorm(20))
  a <- runif(20)
  wt <- c(runif(25), rep(0, 5))
  rows <- sort(sample.int(n, 18))
  col <- sample.int(3L, 18, TRUE)
  v <- rnorm(18)
  dense <- matrix(0, 18, 3)
  dense[cbind(seq_along(rows), col)] <- v
  e <- matrix(0, n, 3)
  e[cbind(rows, col)] <- v * wt[rows]
  e <- 2 * e  # the same wave fed twice
  expected <- crossprod(x, a * e[risk, ])
  sparse <- list(rows = rows, col = col, v = v, wt = wt)
  rowwise <- list(rows = rows, m = dense, wt = wt)
  g1 <- .Call(panelattrition:::C_stage_gradient, x, a, risk,
              list(sparse, sparse), n, 3L)
  g2 <- .Call(panelattrition:::C_stage_gradient, x, a, risk,
              list(rowwise, sparse), n, 3L)
  expect_equal(g1, unname(expected), tolerance = 1e-13)
  expect_equal(g2, unname(expected), tolerance = 1e-13)
})

test_that("influence covariances equal the textbook sums and svytotal()", {
  set.seed(5)
  n <- 200
  infl <- cbind(a = rnorm(n), b = rexp(n))
  centred <- sweep(infl, 2, colMeans(infl))
  expect_equal(panelattrition:::influence_vcov(infl),
               crossprod(centred) * n / (n - 1), tolerance = 1e-13)
  skip_if_not_installed("survey")
  str <- rep(1:4, each = 50)
  psu <- rep(1:20, each = 10)
  pop <- rep(c(12, 30, 8, 40), each = 50)
  design <- list(strata = str, psu = psu, popsize = pop, lonely_psu = "fail")
  d <- survey::svydesign(ids = ~psu, strata = ~str, fpc = ~pop,
                         data = data.frame(infl, str, psu, pop),
                         weights = rep(1, n))
  ref <- stats::vcov(survey::svytotal(~a + b, d))
  got <- panelattrition:::design_vcov(infl, design)
  expect_equal(unname(got), unname(unclass(ref)), tolerance = 1e-12)
  # a subset of the people (naive variances use those with answers)
  keep <- which(str != 3 | psu %% 2 == 0)
  d_sub <- survey::svydesign(ids = ~psu, strata = ~str, fpc = ~pop,
                             data = data.frame(infl, str, psu, pop)[keep, ],
                             weights = rep(1, length(keep)))
  expect_equal(
    unname(panelattrition:::design_vcov(infl[keep, ], design, keep)),
    unname(unclass(stats::vcov(survey::svytotal(~a + b, d_sub)))),
    tolerance = 1e-12
  )
})

test_that("known truth at scale: proportions by group under a stratified cluster design", {
  # households (PSUs) of 1-4 people in 25 strata, a household effect on
  # the outcome, dropout missing at random given a household covariate and
  # the previous answer; the truth of P(y3 = 1 | g) is computed from the
  # whole simulated sample (everyone's y3, respondents or not)
  set.seed(20261202)
  n_hh <- 12000
  size <- sample(1:4, n_hh, replace = TRUE)
  hh <- rep(seq_len(n_hh), size)
  n <- length(hh)
  stratum <- (hh - 1L) %% 25L + 1L
  rural <- rbinom(n_hh, 1, 0.4)[hh]
  u <- rnorm(n_hh, 0, 1)[hh]
  g <- sample(c("a", "b", "c"), n, TRUE)
  z1 <- 0.5 * (g == "b") - 0.5 * (g == "c") + u + rnorm(n)
  z3 <- z1 + 0.3 + rnorm(n, 0, 0.7)
  y1 <- as.numeric(z1 > 0)
  y3 <- as.numeric(z3 > 0.4)
  r3 <- runif(n) < plogis(0.6 - 0.9 * rural + 0.8 * y1)
  base <- data.frame(id = seq_len(n), hh = hh, stratum = stratum,
                     rural = rural, g = g)
  long <- rbind(cbind(base, wave = "T1", y = y1),
                cbind(base, wave = "T3", y = y3)[r3, ])
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("hh", "stratum", "rural", "g"),
                      strata = "stratum", cluster = "hh", nest = TRUE)
  w <- attrition_weights(panel, ~ rural + g, history = "y",
                         stabilize = FALSE)
  m <- wave_means(w, "y", by = "g")
  last <- m[m$wave == "T3", ]
  truth <- tapply(y3, g, mean)[last$g]
  z <- (last$estimate - truth) / last$std_error
  expect_true(all(abs(z) < 4))
  # complete cases are biased (dropout depends on y1 and rural)
  cc <- wave_means(w, "y", by = "g", estimator = "complete_case")
  cc_last <- cc[cc$wave == "T3", ]
  expect_true(any(abs(cc_last$estimate - truth) / cc_last$std_error > 4))
  # design SEs above person-level ones (clustered outcome)
  flat <- panel_data(long, id = "id", wave = "wave",
                     baseline = c("rural", "g"))
  w_flat <- attrition_weights(flat, ~ rural + g, history = "y",
                              stabilize = FALSE)
  m_flat <- wave_means(w_flat, "y", by = "g")
  expect_equal(m_flat$estimate, m$estimate, tolerance = 1e-12)
  expect_true(all(m$std_error[m$wave == "T1"] >
                    m_flat$std_error[m_flat$wave == "T1"]))
})

# ipw_gee(): against geepack::geeglm() and glm() on the same weights, and
# its sandwich against a numerically differentiated stacked sandwich.

gee_setup <- function(seed = 11, n = 800, ...) {
  s <- sim_panel(n = n, seed = seed)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, history = "y", ...)
  long <- panel$data
  long$wt <- w$weights[cbind(match(long$id, rownames(w$weights)),
                             as.integer(long$wave))]
  long$wave_index <- as.integer(long$wave)
  # outcomes with moderate within-person correlation: y plus noise, and
  # counts with a person effect
  set.seed(seed + 1)
  long$yn <- long$y + stats::rnorm(nrow(long), 0, 10)
  long$hi <- as.numeric(long$yn > 55)
  u <- stats::rnorm(length(w$panel$ids), 0, 0.4)
  long$count <- stats::rpois(nrow(long), exp(0.5 + 0.02 * long$age +
                                               u[match(long$id, w$panel$ids)]))
  for (v in c("yn", "hi", "count")) w$panel$data[[v]] <- long[[v]]
  list(s = s, w = w, long = long)
}

gee_formulas <- list(
  gaussian = yn ~ wave + g + age,
  binomial = hi ~ wave + g + age,
  poisson = count ~ wave + g + age
)

geeglm_fit <- function(formula, family, long, corstr) {
  long$cluster <- factor(long$id)
  suppressWarnings(geepack::geeglm(
    formula, family = family, data = long, weights = wt, id = cluster,
    waves = wave_index, corstr = corstr,
    control = geepack::geese.control(epsilon = 1e-12, maxit = 200)
  ))
}

test_that("independence equals geeglm() and weighted glm(), with naive SEs equal to san.se", {
  skip_if_not_installed("geepack")
  m <- gee_setup()
  for (fam in names(gee_formulas)) {
    f <- gee_formulas[[fam]]
    fit <- ipw_gee(f, m$w, family = fam, se = "naive", keep = "fitted")
    ref <- geeglm_fit(f, fam, m$long, "independence")
    # the contract is 1e-6 for coefficients and 1e-4 for SEs; both agree
    # to rounding (about 1e-13) when geeglm() is iterated to convergence
    expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
    expect_equal(sqrt(diag(vcov(fit))), sqrt(diag(vcov(ref))),
                 tolerance = 1e-8)
    expect_equal(fit$scale, unname(ref$geese$gamma), tolerance = 1e-8)
    g <- suppressWarnings(stats::glm(
      f, family = fam, data = m$long, weights = wt,
      control = stats::glm.control(epsilon = 1e-14, maxit = 100)
    ))
    expect_equal(coef(fit), coef(g), tolerance = 1e-8)
    expect_equal(predict(fit, type = "response"), unname(fitted(g)),
                 tolerance = 1e-8)
  }
})

# Every weight 1: the unweighted GEE on each person's answers, where
# geeglm() is valid (under MCAR). With attrition weights the correlated
# fits solve other equations (test-truth-gee.R), and geeglm() is biased.
unweighted <- function(w) {
  w$weights[!is.na(w$weights)] <- 1
  w$stages <- list()
  w$numerator_stages <- list()
  w
}

test_that("unweighted exchangeable and AR(1) agree with geeglm() (estimates, correlation, scale, SEs)", {
  skip_if_not_installed("geepack")
  m <- gee_setup(seed = 3, n = 700)
  m$w <- unweighted(m$w)
  m$long$wt <- 1
  for (fam in names(gee_formulas)) {
    for (cs in c("exchangeable", "ar1")) {
      f <- gee_formulas[[fam]]
      fit <- ipw_gee(f, m$w, family = fam, corstr = cs, se = "naive")
      ref <- geeglm_fit(f, fam, m$long, cs)
      # same moment estimators as geepack, so agreement is to rounding
      expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
      expect_equal(sqrt(diag(vcov(fit))), sqrt(diag(vcov(ref))),
                   tolerance = 1e-8)
      expect_equal(fit$alpha, unname(ref$geese$alpha), tolerance = 1e-8)
      expect_equal(fit$scale, unname(ref$geese$gamma), tolerance = 1e-8)
    }
  }
})

test_that("unweighted AR(1) lags count skipped waves, as geeglm() with waves = wave index", {
  skip_if_not_installed("geepack")
  s <- sim_panel(n = 700, seed = 5)
  # a fifth of those seen at T3 skipped T2
  t3 <- s$long$id[s$long$wave == "T3"]
  set.seed(5)
  skip_t2 <- sample(t3, length(t3) %/% 5)
  long <- s$long[!(s$long$wave == "T2" & s$long$id %in% skip_t2), ]
  panel <- panel_data(long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- unweighted(attrition_weights(panel, ~ g + age, monotone = FALSE))
  d <- panel$data
  d$wt <- 1
  d$wave_index <- as.integer(d$wave)
  fit <- ipw_gee(y ~ wave + g + age, w, corstr = "ar1", se = "naive")
  ref <- geeglm_fit(y ~ wave + g + age, "gaussian", d, "ar1")
  expect_equal(coef(fit), coef(ref), tolerance = 1e-8)
  expect_equal(sqrt(diag(vcov(fit))), sqrt(diag(vcov(ref))), tolerance = 1e-8)
  expect_equal(fit$alpha, unname(ref$geese$alpha), tolerance = 1e-8)
  # counting positions instead (geeglm's default) gives another estimate
  d$position <- stats::ave(d$wave_index, d$id, FUN = seq_along)
  d$cluster <- factor(d$id)
  pos <- geepack::geeglm(y ~ wave + g + age, data = d, weights = wt,
                         id = cluster, waves = position, corstr = "ar1",
                         control = geepack::geese.control(epsilon = 1e-12,
                                                          maxit = 200))
  expect_gt(abs(fit$alpha - pos$geese$alpha), 1e-4)
})

# The oracle: stack the estimating functions of the response models and of
# the GEE by hand, differentiate the stacked sum numerically, and form
# A^{-1} B A^{-T} (without the n/(n - 1) factor, as ipw_gee() and geepack).
gee_numeric_sandwich <- function(psi, theta, h = 1e-6) {
  a <- numeric_bread(psi, theta, h)
  ps <- psi(theta)
  ai <- solve(a)
  ai %*% crossprod(ps) %*% t(ai)
}

# Stacked estimating functions for monotone weights with history (two
# logistic stages, stabilize = FALSE) and the GEE of a model
# ~ wave + g + age. Under independence (the default `corr`) each person's
# answers enter with their weights; with `full = TRUE` the equations are
# Robins, Rotnitzky and Zhao's, D' R^{-1} diag(R_t w_t) r over all three
# waves with the working correlation corr(3) (alpha fixed).
gee_psi <- function(tr, family, outcome, corr = function(m) diag(m),
                    full = FALSE) {
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  p1 <- ncol(x1)
  xw <- lapply(1:3, function(t) {
    cbind(1, t == 2, t == 3, tr$g == "b", tr$g == "c", tr$age)
  })
  ys <- outcome
  r <- cbind(TRUE, tr$r2, tr$r3)
  inv_link <- switch(family, gaussian = identity, binomial = stats::plogis)
  var_fun <- switch(family, gaussian = function(mu) rep(1, length(mu)),
                    binomial = function(mu) mu * (1 - mu))
  function(th) {
    q2 <- stats::plogis(drop(x1 %*% th[1:p1]))
    q3 <- stats::plogis(drop(x2 %*% th[p1 + 1:p1]))
    beta <- th[-(1:(2 * p1))]
    u1 <- x1 * (tr$r2 - q2)
    u2 <- x2 * (tr$r3 - q3) * tr$r2
    ws <- cbind(1, 1 / q2, 1 / (q2 * q3))
    # Pearson residuals and D rows (a_j x_j), weights' square roots
    mu <- sapply(1:3, function(t) inv_link(drop(xw[[t]] %*% beta)))
    v <- var_fun(mu)
    dmu <- if (family == "gaussian") matrix(1, nrow(mu), 3) else v
    pr <- (ys - mu) / sqrt(v)
    a <- dmu / sqrt(v)
    sw <- sqrt(ws)
    u <- matrix(0, nrow(tr), length(beta))
    if (full) {
      vv <- (r * ws * pr) %*% solve(corr(3))
      for (j in 1:3) u <- u + xw[[j]] * (a[, j] * vv[, j])
      return(cbind(u1, u2, u))
    }
    m <- rowSums(r)
    for (k in 1:3) {
      who <- m == k
      if (!any(who)) next
      rinv <- solve(corr(k))
      sr <- sw[who, 1:k, drop = FALSE] * pr[who, 1:k, drop = FALSE]
      vv <- sw[who, 1:k, drop = FALSE] * (sr %*% rinv)
      for (j in 1:k) {
        u[who, ] <- u[who, ] + xw[[j]][who, , drop = FALSE] *
          (a[who, j] * vv[, j])
      }
    }
    cbind(u1, u2, u)
  }
}

test_that("sandwich SEs equal a numerically differentiated stacked sandwich (independence)", {
  m <- gee_setup(seed = 7, n = 600, stabilize = FALSE)
  tr <- m$s$truth
  rm <- response_models(m$w)
  n <- nrow(m$w$weights)
  m$w$panel$data$hi55 <- as.numeric(m$w$panel$data$y > 55)
  for (fam in c("gaussian", "binomial")) {
    f <- if (fam == "gaussian") y ~ wave + g + age else hi55 ~ wave + g + age
    fit <- ipw_gee(f, m$w, family = fam)
    ys <- cbind(tr$y1, tr$y2, tr$y3)
    if (fam == "binomial") ys <- (ys > 55) * 1
    psi <- gee_psi(tr, fam, ys)
    theta <- c(rm$estimate, coef(fit))
    # the stacked equations hold at the estimates
    expect_lt(max(abs(colSums(psi(theta)))), 1e-6)
    v <- gee_numeric_sandwich(psi, theta)
    k <- length(rm$estimate) + seq_along(coef(fit))
    expect_equal(unname(vcov(fit)), unname(v[k, k]), tolerance = 1e-6)
    # counting the weights matters
    nv <- ipw_gee(f, m$w, family = fam, se = "naive")
    expect_gt(max(abs(sqrt(diag(vcov(nv))) / sqrt(diag(vcov(fit))) - 1)),
              0.005)
    expect_identical(coef(nv), coef(fit))
  }
})

test_that("sandwich SEs of the weighted exchangeable and AR(1) fits (alpha fixed) equal the numeric sandwich of Robins, Rotnitzky and Zhao's equations", {
  m <- gee_setup(seed = 8, n = 600, stabilize = FALSE)
  tr <- m$s$truth
  rm <- response_models(m$w)
  ys <- cbind(tr$y1, tr$y2, tr$y3)
  for (cs in c("exchangeable", "ar1")) {
    fit <- ipw_gee(y ~ wave + g + age, m$w, corstr = cs)
    alpha <- fit$alpha
    corr <- if (cs == "exchangeable") {
      function(k) {
        out <- matrix(alpha, k, k)
        diag(out) <- 1
        out
      }
    } else {
      function(k) alpha^abs(outer(seq_len(k), seq_len(k), "-"))
    }
    psi <- gee_psi(tr, "gaussian", ys, corr, full = TRUE)
    theta <- c(rm$estimate, coef(fit))
    expect_lt(max(abs(colSums(psi(theta)))), 1e-6)
    v <- gee_numeric_sandwich(psi, theta)
    k <- length(rm$estimate) + seq_along(coef(fit))
    expect_equal(unname(vcov(fit)), unname(v[k, k]), tolerance = 1e-6)
  }
})

test_that("predict(), confint(), wald_test(), anova() and summary() by hand", {
  m <- gee_setup(seed = 2, n = 400)
  fit <- ipw_gee(hi ~ wave * g + age, m$w, family = binomial(),
                 corstr = "exchangeable", keep = "fitted")
  b <- coef(fit)
  v <- vcov(fit)
  se <- sqrt(diag(v))

  x <- stats::model.matrix(~ wave * g + age, m$long)
  expect_equal(predict(fit), unname(drop(x %*% b)), tolerance = 1e-12)
  # a lean fit (the default) keeps no fitted values: predict() then needs
  # newdata, and gives the same numbers with it
  lean <- ipw_gee(hi ~ wave * g + age, m$w, family = binomial(),
                  corstr = "exchangeable")
  expect_identical(coef(lean), b)
  expect_null(lean$fitted)
  expect_null(lean$influence)
  e <- expect_error(predict(lean), class = "panelattrition_arg_error")
  expect_identical(e$argument, "newdata")
  expect_equal(unname(predict(lean, newdata = m$long)), predict(fit),
               tolerance = 1e-12)
  expect_equal(predict(fit, type = "response"),
               unname(stats::plogis(drop(x %*% b))), tolerance = 1e-12)
  nd <- data.frame(wave = c("T3", "T1"), g = c("c", "a"), age = c(30, 60))
  eta <- c(b[["(Intercept)"]] + b[["waveT3"]] + b[["gc"]] +
             b[["waveT3:gc"]] + 30 * b[["age"]],
           b[["(Intercept)"]] + 60 * b[["age"]])
  expect_equal(unname(predict(fit, newdata = nd)), eta, tolerance = 1e-12)
  expect_equal(unname(predict(fit, newdata = nd, type = "response")),
               stats::plogis(eta), tolerance = 1e-12)

  ci <- confint(fit, c("age", "gb"), level = 0.9)
  z <- stats::qnorm(0.95)
  expect_equal(unname(ci[, 1]), unname(b[c("age", "gb")] - z * se[c("age", "gb")]))
  expect_equal(unname(ci[, 2]), unname(b[c("age", "gb")] + z * se[c("age", "gb")]))
  expect_identical(colnames(ci), c("5 %", "95 %"))
  expect_identical(rownames(confint(fit)), names(b))

  k <- c("gb", "gc")
  stat <- drop(t(b[k]) %*% solve(v[k, k]) %*% b[k])
  wt <- wald_test(fit, c("g", "age"))
  expect_identical(wt$term, c("g", "age"))
  expect_equal(wt$statistic, c(stat, unname(b[["age"]]^2 / v["age", "age"])))
  expect_identical(wt$df, c(2L, 1L))
  expect_equal(wt$p_value[1], stats::pchisq(stat, 2, lower.tail = FALSE))
  inter <- grep(":", names(b), value = TRUE)
  stat_int <- drop(t(b[inter]) %*% solve(v[inter, inter]) %*% b[inter])
  expect_equal(wald_test(fit, "wave:g")$statistic, stat_int)
  k2 <- c("gb", "gc", inter)
  jt <- wald_test(fit, c("g", "wave:g"), joint = TRUE)
  expect_equal(jt$statistic,
               drop(t(b[k2]) %*% solve(v[k2, k2]) %*% b[k2]))
  expect_identical(jt$df, 6L)
  expect_identical(anova(fit), wald_test(fit))
  expect_identical(anova(fit)$term, c("wave", "g", "age", "wave:g"))

  sm <- summary(fit)
  expect_equal(sm$coefficients$std_error, unname(se))
  expect_identical(sm$n_clusters, length(unique(m$long$id)))
  expect_identical(sm$n_obs, nrow(m$long))
  expect_identical(nobs(fit), nrow(m$long))
  expect_identical(sm$corstr, "exchangeable")
  expect_identical(sm$se, "sandwich")
  out <- capture.output(res <- print(sm))
  expect_identical(res, sm)
  expect_true(any(grepl("alpha = ", out)))
  expect_true(any(grepl(sprintf("%d people", sm$n_clusters), out)))
  expect_identical(capture.output(r2 <- print(fit))[1],
                   "<pa_gee> hi ~ wave * g + age")
  expect_identical(r2, fit)
})

test_that("tidy() gives the coefficient table in the broom convention", {
  skip_if_not_installed("generics")
  m <- gee_setup(seed = 2, n = 400)
  fit <- ipw_gee(count ~ wave + g, m$w, family = poisson(), corstr = "ar1")
  b <- coef(fit)
  se <- sqrt(diag(vcov(fit)))
  td <- generics::tidy(fit, conf.int = TRUE)
  expect_identical(td$term, names(b))
  expect_equal(td$estimate, unname(b))
  expect_equal(td$std.error, unname(se))
  expect_equal(td$statistic, unname(b / se))
  expect_equal(td$p.value, unname(2 * stats::pnorm(-abs(b / se))))
  expect_equal(td$conf.high, unname(confint(fit)[, 2]))

  expect_identical(names(td), c("term", "estimate", "std.error", "statistic",
                                "p.value", "conf.low", "conf.high"))
  expect_identical(names(generics::tidy(fit)),
                   c("term", "estimate", "std.error", "statistic", "p.value"))
})

# A panel with baseline x, outcome y from `outcome(x, u, n)` (u a person
# effect; a matrix of three waves) and MAR dropout on x and the previous
# answer, with sequential weights on that history.
gee_mar_panel <- function(n, seed, outcome) {
  set.seed(seed)
  x <- stats::rnorm(n)
  u <- stats::rnorm(n)
  y <- outcome(x, u, n)
  z <- function(v) (v - mean(v)) / stats::sd(v)
  r2 <- stats::runif(n) < stats::plogis(1 + 0.5 * x - 0.8 * z(y[, 1]))
  r3 <- r2 & stats::runif(n) < stats::plogis(0.5 + 0.3 * x - 0.8 * z(y[, 2]))
  r <- cbind(TRUE, r2, r3)
  ids <- sprintf("p%05d", seq_len(n))
  long <- do.call(rbind, lapply(1:3, function(t) {
    data.frame(id = ids, wave = paste0("T", t), x = x, y = y[, t])[r[, t], ]
  }))
  panel <- panel_data(long, id = "id", wave = "wave", baseline = "x")
  attrition_weights(panel, ~ x, history = "y")
}

test_that("a working correlation that is not positive definite is a classed error", {
  # y differs between waves only by a constant: its correlation is 1, and
  # the weighted moment estimate lands at or beyond the boundary
  w <- gee_mar_panel(2000, 1, function(x, u, n) {
    sapply(1:3, function(t) t + u + 0.5 * x)
  })
  err <- tryCatch(ipw_gee(y ~ wave + x, w, corstr = "exchangeable"),
                  error = identity)
  expect_s3_class(err, "panelattrition_correlation_error")
  expect_s3_class(err, "panelattrition_model_error")
  expect_identical(err$argument, "corstr")
  expect_gt(err$alpha, 1)
  expect_match(conditionMessage(err), "^ipw_gee\\(\\): ")
  err <- tryCatch(ipw_gee(y ~ wave + x, w, corstr = "ar1"), error = identity)
  expect_s3_class(err, "panelattrition_correlation_error")
  expect_gte(err$alpha, 1)
})

test_that("a correlated fit that does not reproduce the independence fit is a classed error", {
  # the means are not linear in time, so the linear-time model is wrong:
  # the AR(1) and independence fits estimate different coefficients
  w <- gee_mar_panel(3000, 1, function(x, u, n) {
    sapply(1:3, function(t) c(1, 1.3, 3)[t] + u + 0.5 * x + stats::rnorm(n))
  })
  err <- tryCatch(ipw_gee(y ~ as.integer(wave) + x, w, corstr = "ar1"),
                  error = identity)
  expect_s3_class(err, "panelattrition_gee_check_error")
  expect_s3_class(err, "panelattrition_model_error")
  expect_identical(err$df, 3L)
  expect_lt(err$p_value, 1e-6)
  expect_gt(err$statistic, 100)
  # the right mean model passes the check, with estimates near the
  # independence fit's
  ok <- ipw_gee(y ~ wave + x, w, corstr = "ar1")
  expect_lt(max(abs(coef(ok) - coef(ipw_gee(y ~ wave + x, w))) /
                  sqrt(diag(vcov(ok)))), 1)
})

test_that("weighted correlated fits refuse variables unknown at unanswered waves", {
  m <- gee_setup(seed = 4, n = 300)
  d <- data.frame(z = m$long$yn / 10)
  err <- tryCatch(ipw_gee(y ~ wave + z, m$w, corstr = "exchangeable",
                          data = d), error = identity)
  expect_s3_class(err, "panelattrition_time_varying_error")
  expect_identical(err$variables, "z")
  expect_identical(err$argument, "corstr")
  expect_match(conditionMessage(err), "Robins, Rotnitzky and Zhao")
  # a column of the panel's data that is not constant within people
  w2 <- m$w
  w2$panel$data$age <- w2$panel$data$age + as.integer(w2$panel$data$wave)
  expect_error(ipw_gee(y ~ wave + age, w2, corstr = "ar1"),
               class = "panelattrition_time_varying_error")
  # fine under independence, and without weights
  expect_s3_class(ipw_gee(y ~ wave + z, m$w, data = d), "pa_gee")
  expect_s3_class(ipw_gee(y ~ wave + z, unweighted(m$w), data = d,
                          corstr = "ar1"), "pa_gee")
  # baseline covariates held as columns of the panel's data are known
  expect_s3_class(ipw_gee(y ~ wave + age + g, m$w, corstr = "ar1"), "pa_gee")
})

test_that("baseline covariates and `data` columns can enter the formula", {
  m <- gee_setup(seed = 4, n = 300)
  w <- m$w
  w$panel$data$age <- NULL  # then age comes from the baseline covariates
  fit <- ipw_gee(y ~ wave + age, w, se = "naive")
  g <- stats::glm(y ~ wave + age, data = m$long, weights = wt)
  expect_equal(coef(fit), coef(g), tolerance = 1e-10)
  fit2 <- ipw_gee(y ~ wave + age10, m$w, se = "naive",
                  data = data.frame(age10 = m$long$age / 10))
  expect_equal(unname(coef(fit2)),
               unname(coef(g) * c(1, 1, 1, 10)), tolerance = 1e-10)
})

test_that("bad arguments and missing values are classed errors", {
  m <- gee_setup(seed = 6, n = 200)
  w <- m$w
  expect_error(ipw_gee(y ~ wave, w, family = Gamma()),
               class = "panelattrition_arg_error")
  expect_error(ipw_gee(hi ~ wave, w, family = binomial("probit")),
               class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave, w, family = "quasi"),
               class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave, w, corstr = "unstructured"),
               class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave, w, se = "bootstrap"),
               class = "panelattrition_arg_error")
  expect_error(ipw_gee(~ wave, w), class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave, m$long), class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ nothere, w), class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave, w, family = "binomial"),
               class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave, w, control = list(maxit = 0)),
               class = "panelattrition_arg_error")

  w$panel$data$y[c(3, 8, 20)] <- NA
  w$panel$data$age[5] <- NA
  # answers with missing values are left out (as wave_means() does), and
  # the message says how many
  expect_message(fit_na <- ipw_gee(y ~ wave + age + g, w),
                 "4 answers with missing values left out (`y` 3, `age` 1)",
                 fixed = TRUE)
  expect_identical(nobs(fit_na), nrow(w$panel$data) - 4L)

  fit <- ipw_gee(y ~ wave + g, m$w)
  expect_error(wald_test(fit, "age"), class = "panelattrition_arg_error")
  expect_error(confint(fit, "age"), class = "panelattrition_arg_error")
  expect_error(confint(fit, level = 2), class = "panelattrition_arg_error")
  expect_error(ipw_gee(y ~ wave + age + I(2 * age), m$w),
               class = "panelattrition_collinear_error")
  expect_error(ipw_gee(y ~ wave + I(age > 0), m$w),
               class = "panelattrition_collinear_error")
})

test_that("ipw_gee() gives the same fit when the panel's rows are out of order", {
  m <- gee_setup(seed = 7, n = 300)
  w <- m$w
  fit <- ipw_gee(yn ~ wave * g + age, w, corstr = "exchangeable",
                 keep = "fitted")
  set.seed(2)
  shuffle <- sample(nrow(w$panel$data))
  w2 <- w
  w2$panel$data <- w$panel$data[shuffle, ]
  # the person index belongs to the rows of `data`
  w2$panel$person <- w$panel$person[shuffle]
  fit2 <- ipw_gee(yn ~ wave * g + age, w2, corstr = "exchangeable",
                  keep = "fitted")
  expect_equal(coef(fit2), coef(fit), tolerance = 1e-10)
  expect_equal(vcov(fit2), vcov(fit), tolerance = 1e-10)
  expect_equal(fit2$fitted, fit$fitted[shuffle], tolerance = 1e-10)
})

make_weights <- function(seed = 11, n = 800, ...) {
  s <- sim_panel(n = n, seed = seed)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  list(s = s, panel = panel, w = attrition_weights(panel, ...))
}

test_that("naive wave means equal survey::svyby() on the same weights", {
  skip_if_not_installed("survey")
  m <- make_weights(formula = ~ g + age, history = "y")
  w <- m$w
  long <- m$panel$data
  long$wt <- w$weights[cbind(match(long$id, rownames(w$weights)),
                             as.integer(long$wave))]
  long$hi <- long$y > 55
  w$panel$data$hi <- long$hi
  des <- survey::svydesign(ids = ~id, weights = ~wt, data = long)

  est <- wave_means(w, "y", by = "g", se = "naive")
  ref <- survey::svyby(~y, ~wave + g, des, survey::svymean)
  ord <- match(paste(est$wave, est$g), paste(ref$wave, ref$g))
  expect_equal(est$estimate, unname(ref$y[ord]), tolerance = 1e-10)
  expect_equal(est$std_error, unname(survey::SE(ref)[ord]), tolerance = 1e-8)

  # a proportion, and the covariance of two waves' means
  pr <- wave_means(w, "hi", se = "naive")
  ref2 <- survey::svyby(~hi, ~wave, des, survey::svymean)
  expect_equal(pr$estimate, unname(ref2$hiTRUE), tolerance = 1e-10)
  expect_equal(pr$std_error, unname(survey::SE(ref2)[["se.hiTRUE"]]),
               tolerance = 1e-8)
  all_waves <- wave_means(w, "y", se = "naive")
  ref3 <- survey::svyby(~y, ~wave, des, survey::svymean, covmat = TRUE)
  expect_equal(unname(vcov(all_waves)), unname(vcov(ref3)), tolerance = 1e-8)
})

test_that("complete-case means are the unweighted means of respondents", {
  m <- make_weights(formula = ~ g + age, history = "y")
  cc <- wave_means(m$w, "y", estimator = "complete_case")
  long <- m$panel$data
  expect_equal(cc$estimate, as.vector(tapply(long$y, long$wave, mean)),
               tolerance = 1e-12)
  expect_identical(cc$n, as.integer(table(long$wave)))
  expect_identical(attr(cc, "se"), "naive")
})

test_that("sandwich variances equal a numerically differentiated stacked sandwich (IPW)", {
  m <- make_weights(seed = 7, n = 600, formula = ~ g + age, history = "y",
                    stabilize = FALSE)
  w <- m$w
  tr <- m$s$truth
  est <- wave_means(w, "y")
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  rm <- response_models(w)
  theta <- c(rm$estimate, est$estimate)
  p1 <- ncol(x1)
  psi <- function(th) {
    a1 <- th[1:p1]
    a2 <- th[p1 + 1:p1]
    mu <- th[2 * p1 + 1:3]
    q2 <- stats::plogis(drop(x1 %*% a1))
    q3 <- stats::plogis(drop(x2 %*% a2))
    u1 <- x1 * (tr$r2 - q2)                     # everyone answered T1
    u2 <- x2 * (tr$r3 - q3) * tr$r2
    w2 <- 1 / q2
    w3 <- 1 / (q2 * q3)
    cbind(u1, u2,
          (tr$y1 - mu[1]),
          ifelse(tr$r2, w2 * (tr$y2 - mu[2]), 0),
          ifelse(tr$r3, w3 * (tr$y3 - mu[3]), 0))
  }
  v <- numeric_sandwich(psi, theta)
  k <- 2 * p1 + 1:3
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
  # the correction matters: sandwich and naive differ
  nv <- wave_means(w, "y", se = "naive")
  expect_gt(max(abs(nv$std_error - est$std_error) / est$std_error), 0.01)
})

test_that("sandwich variances count chained calibrations (raking with history)", {
  m <- make_weights(seed = 9, n = 600, formula = ~ g + age, history = "y",
                    method = "calibrate", stabilize = FALSE)
  w <- m$w
  tr <- m$s$truth
  est <- wave_means(w, "y", by = "g")
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  rm <- response_models(w)
  groups <- c("a", "b", "c")
  theta <- c(rm$estimate, est$estimate)
  p1 <- ncol(x1)
  psi <- function(th) {
    l1 <- th[1:p1]
    l2 <- th[p1 + 1:p1]
    mu <- matrix(th[2 * p1 + 1:9], 3, 3)  # groups within wave, wave-major
    w2 <- exp(drop(x1 %*% l1))
    w3 <- w2 * exp(drop(x2 %*% l2))
    u1 <- x1 * (tr$r2 * w2 - 1)
    u2 <- x2 * w2 * (tr$r3 * exp(drop(x2 %*% l2)) - 1) * tr$r2
    phi <- NULL
    ys <- cbind(tr$y1, tr$y2, tr$y3)
    ws <- cbind(1, ifelse(tr$r2, w2, 0), ifelse(tr$r3, w3, 0))
    for (t in 1:3) {
      for (gi in 1:3) {
        phi <- cbind(phi, ws[, t] * (tr$g == groups[gi]) *
                       (ys[, t] - mu[gi, t]))
      }
    }
    cbind(u1, u2, phi)
  }
  v <- numeric_sandwich(psi, theta)
  k <- 2 * p1 + 1:9
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
})

test_that("sandwich variances with a frame, stage 0 and a numerator model", {
  s <- sim_panel(n = 500, frame_extra = 300, seed = 4)
  panel <- panel_data(s$long, id = "id", wave = "wave", frame = s$frame,
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, monotone = FALSE,
                         numerator = ~ g)
  # a numerator in g leaves means within groups of g unchanged (only those
  # are valid with such weights)
  est <- wave_means(w, "y", by = "g")
  groups <- levels(factor(s$truth$g))
  tr <- s$truth
  x <- cbind(1, tr$g == "b", tr$g == "c", tr$age)
  xn <- cbind(1, tr$g == "b", tr$g == "c")
  rm <- response_models(w)
  nm <- lapply(w$numerator_stages, function(st) st$fit$coefficients)
  theta <- c(rm$estimate, unlist(nm), est$estimate)
  r <- cbind(tr$r1, tr$r2, tr$r3)
  ys <- cbind(tr$y1, tr$y2, tr$y3)
  psi <- function(th) {
    a <- matrix(th[1:12], 4, 3)
    b <- matrix(th[12 + 1:9], 3, 3)
    mu <- matrix(th[21 + 1:9], 3, 3)  # groups within wave, wave-major
    out <- NULL
    for (t in 1:3) {
      out <- cbind(out, x * (r[, t] - stats::plogis(drop(x %*% a[, t]))))
    }
    for (t in 1:3) {
      out <- cbind(out, xn * (r[, t] - stats::plogis(drop(xn %*% b[, t]))))
    }
    for (t in 1:3) {
      wt <- stats::plogis(drop(xn %*% b[, t])) /
        stats::plogis(drop(x %*% a[, t]))
      for (gi in 1:3) {
        out <- cbind(out, ifelse(r[, t] & tr$g == groups[gi],
                                 wt * (ys[, t] - mu[gi, t]), 0))
      }
    }
    out
  }
  v <- numeric_sandwich(psi, theta)
  k <- 21 + 1:9
  expect_equal(unname(vcov(est)), unname(v[k, k]), tolerance = 1e-6)
})

test_that("proportions get logit and Korn-Graubard intervals inside [0, 1]", {
  m <- make_weights(formula = ~ g + age, history = "y")
  long <- m$panel$data
  m$w$panel$data$band <- cut(long$y, c(-Inf, 45, 60, Inf),
                             labels = c("low", "mid", "high"))
  lg <- wave_means(m$w, "band")
  expect_identical(levels(factor(lg$level)), c("high", "low", "mid"))
  # the three levels of a wave sum to one
  sums <- tapply(lg$estimate, lg$wave, sum)
  expect_equal(as.vector(sums), c(1, 1, 1), tolerance = 1e-12)
  z <- stats::qnorm(0.975)
  p <- lg$estimate
  se <- lg$std_error
  expect_equal(lg$conf_low,
               stats::plogis(stats::qlogis(p) - z * se / (p * (1 - p))))
  bt <- wave_means(m$w, "band", ci = "beta")
  neff <- p * (1 - p) / se^2
  expect_equal(bt$conf_low, stats::qbeta(0.025, neff * p, neff * (1 - p) + 1))
  expect_equal(bt$conf_high, stats::qbeta(0.975, neff * p + 1, neff * (1 - p)))
  expect_true(all(bt$conf_low >= 0 & bt$conf_high <= 1))
})

test_that("panel_change: weighted mean change, effect size and test", {
  skip_if_not_installed("survey")
  m <- make_weights(formula = ~ g + age, history = "y")
  w <- m$w
  tr <- m$s$truth
  ch <- panel_change(w, "y", from = "T1", to = "T3", se = "naive")
  seen <- tr$r3
  d <- tr$y3[seen] - tr$y1[seen]
  wt <- w$weights[seen, "T3"]
  mu <- sum(wt * d) / sum(wt)
  expect_equal(ch$estimate, mu, tolerance = 1e-12)
  sdc <- sqrt(sum(wt * (d - mu)^2) / sum(wt))
  expect_equal(ch$sd_change, sdc, tolerance = 1e-12)
  expect_equal(ch$smc, mu / sdc, tolerance = 1e-12)
  expect_equal(ch$p_value, 2 * stats::pnorm(-abs(mu / ch$std_error)))
  # naive SE as survey computes it for a domain of a people-clustered design
  long <- m$panel$data
  long$wt <- w$weights[cbind(match(long$id, rownames(w$weights)),
                             as.integer(long$wave))]
  long$d <- NA_real_
  at3 <- long$wave == "T3"
  long$d[at3] <- long$y[at3] - tr$y1[match(long$id[at3], tr$id)]
  des <- survey::svydesign(ids = ~id, weights = ~wt, data = long)
  ref <- survey::svymean(~d, subset(des, wave == "T3"))
  expect_equal(ch$std_error, as.vector(survey::SE(ref)), tolerance = 1e-8)
  expect_identical(ch$from, "T1")
  expect_identical(as.character(ch$wave), "T3")
})

test_that("compare_groups: differences, their SEs from the covariance, Wald test", {
  m <- make_weights(formula = ~ g + age, history = "y")
  est <- wave_means(m$w, "y", by = "g")
  cmp <- compare_groups(est, ref = "a")
  v <- vcov(est)
  i <- which(est$wave == "T3" & est$g == "c")
  j <- which(est$wave == "T3" & est$g == "a")
  row <- cmp[cmp$wave == "T3" & cmp$group == "c", ]
  expect_equal(row$estimate, est$estimate[i] - est$estimate[j])
  expect_equal(row$std_error, sqrt(v[i, i] + v[j, j] - 2 * v[i, j]))
  t3 <- cmp[cmp$wave == "T3", ]
  expect_equal(t3$p_adjusted, stats::p.adjust(t3$p_value, "holm"))
  om <- attr(cmp, "omnibus")
  k <- which(est$wave == "T3")
  cm <- cbind(-1, diag(2))
  dd <- cm %*% est$estimate[k]
  wald <- drop(t(dd) %*% solve(cm %*% v[k, k] %*% t(cm), dd))
  expect_equal(om$statistic[om$wave == "T3"], wald)
  expect_equal(om$p_value[om$wave == "T3"], stats::pchisq(wald, 2, lower.tail = FALSE))
  all_pairs <- compare_groups(est)
  expect_identical(nrow(all_pairs), 9L)
  expect_error(compare_groups(wave_means(m$w, "y")),
               class = "panelattrition_arg_error", regexp = "by =")
  expect_error(compare_groups(est, ref = "zz"), class = "panelattrition_arg_error")
})

test_that("small cells are suppressed with a message", {
  m <- make_weights(formula = ~ g + age, history = "y")
  expect_message(est <- wave_means(m$w, "y", by = "g", min_n = 150),
                 "suppressed")
  small <- est$suppressed
  expect_true(any(small))
  # suppressed cells show no estimate, count or covariance
  expect_true(all(is.na(est$estimate[small])))
  expect_true(all(is.na(est$n[small])))
  expect_true(all(is.na(est$n_eff[small])))
  expect_true(all(est$n[!small] >= 150))
  expect_true(all(is.na(vcov(est)[small, ])))
  expect_output(print(est), "suppressed")
})

test_that("estimators reject bad arguments with classed errors", {
  m <- make_weights(n = 300, formula = ~ g + age)
  w <- m$w
  expect_error(wave_means(m$panel, "y"), class = "panelattrition_arg_error")
  expect_error(wave_means(w, "nope"), class = "panelattrition_arg_error",
               regexp = "nope")
  expect_error(wave_means(w, "y", by = "nope"), class = "panelattrition_arg_error")
  expect_error(wave_means(w, "y", conf_level = 95),
               class = "panelattrition_arg_error", regexp = "conf_level")
  expect_error(wave_means(w, "y", se = "jackknife"),
               class = "panelattrition_arg_error")
  expect_error(panel_change(w, "y", from = "T3", to = "T1"),
               class = "panelattrition_arg_error", regexp = "later wave")
  expect_error(panel_change(w, "y", from = "T9"), class = "panelattrition_arg_error")
})

test_that("tidy() follows the broom convention and plot() draws", {
  m <- make_weights(n = 400, formula = ~ g + age, history = "y")
  est <- wave_means(m$w, "y", by = "g")
  skip_if_not_installed("generics")
  td <- generics::tidy(est, conf.int = TRUE)
  expect_identical(names(td)[1:4], c("outcome", "level", "wave", "g"))
  expect_equal(td$std.error, est$std_error)
  expect_equal(td$statistic, est$estimate / est$std_error)
  expect_equal(td$conf.low, est$conf_low)
  expect_error(generics::tidy(est, conf.level = 0.9),
               class = "panelattrition_arg_error")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot(est), est)
  expect_identical(plot(m$w), m$w)
  expect_identical(plot(m$w, type = "balance"), m$w)
})

test_that("bootstrap standard errors re-fit the weights and agree with the sandwich", {
  m <- make_weights(formula = ~ g + age, history = "y")
  ctl <- boot_control(400, seed = 42)
  b <- wave_means(m$w, "y", by = "g", se = "bootstrap", control = ctl)
  s <- wave_means(m$w, "y", by = "g")
  expect_equal(b$estimate, s$estimate)
  expect_lt(max(abs(b$std_error / s$std_error - 1)), 0.2)
  reps <- attr(b, "replicates")
  expect_identical(dim(reps), c(400L, 9L))
  # replicates are keyed by the rows' identity
  expect_equal(b$std_error, unname(apply(reps, 2, stats::sd)))
  expect_equal(b$conf_low, unname(apply(reps, 2, stats::quantile, 0.025,
                                        names = FALSE)))
  # the same seed gives the same answer
  b2 <- wave_means(m$w, "y", by = "g", se = "bootstrap", control = ctl)
  expect_identical(b2$std_error, b$std_error)
  ch <- panel_change(m$w, "y", se = "bootstrap", control = boot_control(50, seed = 1))
  expect_true(is.finite(ch$std_error))
  expect_error(wave_means(m$w, "y", estimator = "aipw", se = "bootstrap"),
               class = "panelattrition_arg_error")
  expect_error(wave_means(m$w, "y", control = ctl),
               class = "panelattrition_arg_error", regexp = "bootstrap")
})

test_that("summary() and glance() describe an estimate table", {
  m <- make_weights(n = 400, formula = ~ g + age, history = "y")
  expect_message(est <- wave_means(m$w, "y", by = "g", min_n = 60))
  sm <- summary(est)
  expect_identical(sm$estimates, 9L)
  expect_identical(sm$suppressed, sum(est$suppressed))
  expect_equal(sm$min_n_eff, min(est$n_eff, na.rm = TRUE))
  expect_identical(sm$by, "g")
  expect_output(print(sm), "pa_estimates summary")
  skip_if_not_installed("generics")
  gl <- generics::glance(est)
  expect_identical(class(gl), "data.frame")
  expect_identical(gl$se, "sandwich")
})

test_that("row subsets keep the covariance of the rows that remain", {
  m <- make_weights(n = 500, formula = ~ g + age, history = "y")
  est <- wave_means(m$w, "y", by = "g")
  t3 <- est[est$wave == "T3", ]
  k <- which(est$wave == "T3")
  expect_identical(vcov(t3), vcov(est)[k, k])
  expect_equal(compare_groups(t3, ref = "a")$std_error,
               compare_groups(est, ref = "a")$std_error[
                 compare_groups(est, ref = "a")$wave == "T3"])
  # no per-person values; tipping_point()'s cross-products follow the rows
  expect_null(attr(t3, "influence"))
  expect_identical(dim(attr(t3, "tipping")$cross$B), c(3L, 3L))
  expect_s3_class(t3, "pa_estimates")
  expect_identical(est[, "estimate"], est$estimate)
})

sens_weights <- function(n = 800, seed = 11, with_base = FALSE, ...) {
  s <- sim_panel(n = n, seed = seed)
  baseline <- c("g", "age")
  if (with_base) {
    # unequal base weights, fixed per person
    bw <- 0.5 + (seq_len(n) %% 4) / 2
    s$long$bw <- bw[match(s$long$id, s$truth$id)]
    s$truth$bw <- bw
    baseline <- c(baseline, "bw")
  }
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = baseline)
  list(s = s, panel = panel, w = attrition_weights(panel, ...))
}

# The grid rows of a pa_tipping at one delta, as a plain data frame.
at_delta <- function(tp, value) {
  df <- as.data.frame(tp)
  df[df$delta == value, , drop = FALSE]
}

test_that("delta = 0 reproduces wave means, changes, proportions and differences", {
  m <- sens_weights(formula = ~ g + age, history = "y")
  w <- m$w
  est <- wave_means(w, "y", by = "g")
  tp <- tipping_point(est, delta = c(-2, 0, 1), null = 50)
  z0 <- at_delta(tp, 0)
  expect_equal(z0$estimate, est$estimate, tolerance = 1e-12)
  expect_equal(z0$std_error, est$std_error, tolerance = 1e-12)
  expect_equal(z0$conf_low, est$conf_low, tolerance = 1e-12)
  expect_equal(z0$conf_high, est$conf_high, tolerance = 1e-12)
  expect_identical(nrow(tp), 3L * nrow(est))

  ch <- panel_change(w, "y", from = "T1", to = "T3", by = "g")
  z0 <- at_delta(tipping_point(ch, delta = c(0, 4)), 0)
  expect_equal(z0$estimate, ch$estimate, tolerance = 1e-12)
  expect_equal(z0$std_error, ch$std_error, tolerance = 1e-12)
  expect_equal(z0$p_value, ch$p_value, tolerance = 1e-12)

  cmp <- compare_groups(est)
  z0 <- at_delta(tipping_point(cmp, delta = c(-1, 0)), 0)
  expect_equal(z0$estimate, cmp$estimate, tolerance = 1e-12)
  expect_equal(z0$std_error, cmp$std_error, tolerance = 1e-12)
  expect_equal(z0$conf_low, cmp$conf_low, tolerance = 1e-12)

  # a proportion (logit interval) and naive standard errors
  w$panel$data$hi <- w$panel$data$y > 55
  pr <- wave_means(w, "hi", se = "naive")
  z0 <- at_delta(tipping_point(pr, delta = c(0, 0.5), null = 0.5, w = w),
                 0)
  expect_equal(z0$estimate, pr$estimate, tolerance = 1e-12)
  expect_equal(z0$std_error, pr$std_error, tolerance = 1e-12)
  expect_equal(z0$conf_low, pr$conf_low, tolerance = 1e-12)
  expect_equal(z0$conf_high, pr$conf_high, tolerance = 1e-12)
})

test_that("a shifted mean moves by delta times the weighted share missing", {
  m <- sens_weights(with_base = TRUE, formula = ~ g + age, base = "bw",
                    monotone = FALSE)
  tr <- m$s$truth
  est <- wave_means(m$w, "y", by = "g")
  deltas <- c(-3, -0.5, 0, 2)
  tp <- tipping_point(est, delta = deltas, null = 0)
  for (k in which(est$wave != "T1")) {
    r <- if (est$wave[k] == "T2") tr$r2 else tr$r3
    in_g <- tr$g == est$g[k]
    p <- sum(tr$bw[in_g] * r[in_g]) / sum(tr$bw[in_g])
    got <- tp$estimate[tp$wave == est$wave[k] & tp$g == est$g[k]]
    expect_equal(got, est$estimate[k] + deltas * (1 - p), tolerance = 1e-12)
  }
  # nobody is missing at the first wave: nothing moves
  first <- tp[tp$wave == "T1", ]
  expect_equal(first$estimate, rep(est$estimate[est$wave == "T1"], each = 4),
               tolerance = 1e-12)
  # where the estimate crosses the null, in closed form
  tp50 <- tipping_point(est, delta = deltas, null = 60)
  tip <- attr(tp50, "tipping")
  k <- which(est$wave == "T3" & est$g == "b")
  in_g <- tr$g == "b"
  p <- sum(tr$bw[in_g] * tr$r3[in_g]) / sum(tr$bw[in_g])
  expect_equal(tip$tipping_delta[k], (60 - est$estimate[k]) / (1 - p),
               tolerance = 1e-9)
  expect_identical(tip$direction[k],
                   if (est$estimate[k] < 60) "positive" else "negative")
  expect_match(tip$note[tip$wave == "T1"][1], "does not move")
})

test_that("the tipping delta of a change is the root of its lower limit", {
  m <- sens_weights(seed = 7, n = 600, formula = ~ g + age, history = "y",
                    stabilize = FALSE)
  w <- m$w
  tr <- m$s$truth
  ch <- panel_change(w, "y", from = "T1", to = "T3")
  expect_gt(ch$conf_low, 0)
  tp <- tipping_point(ch, delta = seq(-4, 4, by = 1))
  tip <- attr(tp, "tipping")

  # oracle: the stacked estimating equations of both response models, the
  # change and the share answering, differentiated numerically
  x1 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y1)
  x2 <- cbind(1, tr$g == "b", tr$g == "c", tr$age, tr$y2)
  p1 <- ncol(x1)
  rm <- response_models(w)
  theta <- c(rm$estimate, ch$estimate, mean(tr$r3))
  psi <- function(th) {
    q2 <- stats::plogis(drop(x1 %*% th[1:p1]))
    q3 <- stats::plogis(drop(x2 %*% th[p1 + 1:p1]))
    cbind(x1 * (tr$r2 - q2), x2 * (tr$r3 - q3) * tr$r2,
          ifelse(tr$r3, (tr$y3 - tr$y1 - th[2 * p1 + 1]) / (q2 * q3), 0),
          tr$r3 - th[2 * p1 + 2])
  }
  v <- numeric_sandwich(psi, theta)[2 * p1 + 1:2, 2 * p1 + 1:2]
  p <- mean(tr$r3)
  z <- stats::qnorm(0.975)
  se_at <- function(dl) sqrt(v[1, 1] - 2 * dl * v[1, 2] + dl^2 * v[2, 2])
  lower_at <- function(dl) ch$estimate + dl * (1 - p) - z * se_at(dl)
  # the grid itself against the oracle
  expect_equal(tp$std_error, vapply(tp$delta, se_at, numeric(1)),
               tolerance = 1e-6)
  # bisection on [-50, 0]: lower_at(0) > 0 > lower_at(-50)
  lo <- -50
  hi <- 0
  for (i in 1:200) {
    mid <- (lo + hi) / 2
    if (lower_at(mid) > 0) hi <- mid else lo <- mid
  }
  expect_equal(tip$tipping_delta, (lo + hi) / 2, tolerance = 1e-6)
  expect_identical(tip$direction, "negative")
  expect_identical(tip$conclusion, "excludes null")
  # off the grid: the root is not a grid point
  expect_false(any(abs(tp$delta - tip$tipping_delta) < 1e-3))
})

test_that("proportions are shifted on the log-odds scale of an outcome regression", {
  # (the regression's predictions recentred on the weighted estimate)
  long <- data.frame(
    id = c(sprintf("p%02d", 1:12), sprintf("p%02d", c(1:6, 8, 10))),
    wave = rep(c("T1", "T2"), c(12, 8)),
    x = c(c(1, 3, 2, 5, 4, 6, 2, 7, 3, 8, 1, 5),
          c(1, 3, 2, 5, 4, 6, 7, 8)),
    emp = c(c(FALSE, TRUE, FALSE, TRUE, FALSE, TRUE, FALSE, TRUE, TRUE,
              FALSE, FALSE, TRUE),
            c(FALSE, TRUE, TRUE, FALSE, FALSE, TRUE, TRUE, TRUE))
  )
  panel <- panel_data(long, id = "id", wave = "wave", baseline = "x")
  w <- attrition_weights(panel, ~ x)
  # twelve people: the hand calculation needs every cell shown
  est <- wave_means(w, "emp", min_n = 0)
  tp <- tipping_point(est, delta = c(-1, 0, 1.5), null = 0.5, w = w)

  t2 <- long[long$wave == "T2", ]
  fit <- suppressWarnings(stats::glm(emp ~ x, family = stats::binomial(),
                                     data = t2))
  base <- long[long$wave == "T1", ]
  drop <- base[!base$id %in% t2$id, ]
  m_i <- stats::predict(fit, newdata = drop, type = "response")
  # moved by one constant on the logit scale so that the observed answers
  # and the dropouts' probabilities mix to the weighted estimate
  mix <- function(cc) {
    sum(t2$emp) + sum(stats::plogis(stats::qlogis(m_i) + cc)) -
      12 * est$estimate[2]
  }
  m_i <- stats::plogis(stats::qlogis(m_i) +
                         stats::uniroot(mix, c(-10, 10), tol = 1e-14)$root)
  # the influence values a table does not keep, as tipping_point()
  # recomputes them from the weights
  people <- panelattrition:::with_people(wave_means(w, "emp", min_n = 0))
  infl <- attr(people, "influence")$values[, 2]
  for (dl in c(-1, 1.5)) {
    s_i <- stats::plogis(stats::qlogis(m_i) + dl) - m_i
    shift <- sum(s_i) / 12
    row <- tp[tp$wave == "T2" & tp$delta == dl, ]
    expect_equal(row$estimate, est$estimate[2] + shift, tolerance = 1e-9)
    # with the predictions held fixed, the shift's influence is (s_i - A) / N
    s_all <- ifelse(base$id %in% t2$id, 0, NA)
    s_all[is.na(s_all)] <- s_i
    tot <- infl + (s_all - shift) / 12
    expect_equal(row$std_error,
                 sqrt(12 / 11 * sum((tot - mean(tot))^2)), tolerance = 1e-9)
    expect_equal(c(row$conf_low, row$conf_high),
                 stats::plogis(stats::qlogis(row$estimate) + c(-1, 1) *
                               stats::qnorm(0.975) * row$std_error /
                               (row$estimate * (1 - row$estimate))),
                 tolerance = 1e-9)
  }
  # the estimate crosses 0.5 where the shifted sum makes up the gap
  tip <- attr(tp, "tipping")[2, ]
  gap <- function(dl) {
    est$estimate[2] - 0.5 +
      sum(stats::plogis(stats::qlogis(m_i) + dl) - m_i) / 12
  }
  expect_equal(tip$tipping_delta,
               stats::uniroot(gap, c(-20, 20), tol = 1e-14)$root,
               tolerance = 1e-7)
})

test_that("group differences shift each group by its own multiple of delta", {
  m <- sens_weights(formula = ~ g + age, monotone = FALSE)
  tr <- m$s$truth
  est <- wave_means(m$w, "y", by = "g")
  cmp <- compare_groups(est, ref = "a")
  p3 <- tapply(tr$r3, tr$g, mean)
  t3 <- which(cmp$wave == "T3")

  same <- tipping_point(cmp, delta = c(-2, 0, 2))
  for (k in t3) {
    a <- cmp$group[k]
    got <- same$estimate[same$wave == "T3" & same$contrast == cmp$contrast[k]]
    expect_equal(got, cmp$estimate[k] + c(-2, 0, 2) * (p3[["a"]] - p3[[a]]),
                 tolerance = 1e-12)
  }

  only_b <- tipping_point(cmp, delta = c(-2, 0, 2), group_delta = c(b = 1))
  for (k in t3) {
    got <- only_b$estimate[only_b$wave == "T3" &
                             only_b$contrast == cmp$contrast[k]]
    slope <- if (cmp$group[k] == "b") 1 - p3[["b"]] else 0
    expect_equal(got, cmp$estimate[k] + c(-2, 0, 2) * slope,
                 tolerance = 1e-12)
  }
  # the difference's variance uses both groups' influence values
  # (the influence values a table does not keep, recomputed)
  infl <- attr(panelattrition:::with_people(wave_means(m$w, "y", by = "g")),
               "influence")$values
  i_a <- which(est$wave == "T3" & est$g == "a")
  i_b <- which(est$wave == "T3" & est$g == "b")
  b_only <- tr$g == "b"
  shift_infl <- ifelse(b_only, -2 * (tr$r3 - p3[["b"]]) / sum(b_only), 0)
  tot <- infl[, i_b] + shift_infl - infl[, i_a]
  n <- length(tot)
  row <- only_b[only_b$wave == "T3" & only_b$contrast == "b - a" &
                  only_b$delta == 2, ]
  expect_equal(row$std_error, sqrt(n / (n - 1) * sum((tot - mean(tot))^2)),
               tolerance = 1e-10)
})

test_that("tilting at alpha = 0 gives the input weights' estimates exactly", {
  s <- sim_panel(n = 600, seed = 3)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  fits <- list(
    raking = attrition_weights(panel, ~ g + age, method = "calibrate",
                               calfun = "raking", monotone = FALSE),
    logit = attrition_weights(panel, ~ g + age, history = "y"),
    kott = attrition_weights(panel, ~ g + age, method = "calibrate",
                             calfun = "kott", history = "y")
  )
  for (wt in fits) {
    ref <- wave_means(wt, "y", by = "g")
    tl <- tilt_sensitivity(wt, "y", alpha = c(-0.02, 0, 0.03), by = "g")
    expect_s3_class(tl, "pa_tilt")
    zero <- tl[tl$alpha == 0, ]
    k <- match(paste(zero$wave, zero$group), paste(ref$wave, ref$g))
    expect_identical(zero$estimate, ref$estimate[k])
    expect_equal(zero$std_error, ref$std_error[k], tolerance = 1e-12)
    expect_equal(zero$n, ref$n[k])
    expect_setequal(as.character(tl$wave), c("T2", "T3"))
    mar <- attr(tl, "mar")
    k2 <- match(paste(mar$wave, mar$group), paste(ref$wave, ref$g))
    expect_equal(mar$estimate, ref$estimate[k2], tolerance = 1e-12)
  }
})

test_that("tilted estimates and standard errors equal a stacked numerical sandwich", {
  # one dropout stage from the baseline sample (monotone = FALSE): the
  # stage's maximum likelihood score, the tilted response model's
  # equations sum pihat (r / pi - 1) x = 0 (instruments the ML fitted
  # probabilities) and the group means, stacked by hand and
  # differentiated numerically
  s <- sim_panel(n = 500, seed = 5)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age, monotone = FALSE)
  x <- cbind(1, tr$g == "b", tr$g == "c", tr$age)
  r <- tr$r2
  y <- ifelse(r, tr$y2, 0)
  groups <- c("a", "b", "c")
  alpha <- 0.04
  theta <- unname(stats::coef(stats::glm(r ~ x - 1, family = stats::binomial(),
                                         control = list(epsilon = 1e-14))))
  p_hat <- drop(stats::plogis(x %*% theta))
  wts <- function(gam) 1 + exp(-drop(x %*% gam) - alpha * y)
  gam <- theta
  for (i in 1:200) {
    e <- r * (wts(gam) - 1)
    u <- colSums(x * (p_hat * (r * wts(gam) - 1)))
    step <- solve(crossprod(x, x * (p_hat * e)), u)
    gam <- gam + step
    if (max(abs(step)) < 1e-13) break
  }
  wt <- wts(gam)
  mu <- vapply(groups, function(k) {
    sel <- r & tr$g == k
    sum(wt[sel] * y[sel]) / sum(wt[sel])
  }, numeric(1))
  psi <- function(th) {
    ph <- drop(stats::plogis(x %*% th[1:4]))
    wt <- wts(th[5:8])
    cbind(x * (r - ph), x * (ph * (r * wt - 1)),
          vapply(1:3, function(k) {
            ifelse(r & tr$g == groups[k], wt * (y - th[8 + k]), 0)
          }, numeric(length(r))))
  }
  v <- numeric_sandwich(psi, c(theta, gam, mu))
  # at alpha = 0 the tilted equations are the ML score: the anchored and
  # the unanchored curve are the same
  tl <- tilt_sensitivity(w, "y", alpha = c(0, alpha), wave = "T2",
                         by = "g")
  tl <- tl[tl$alpha == alpha, ]
  expect_equal(tl$estimate, unname(mu), tolerance = 1e-8)
  expect_equal(tl$std_error, sqrt(diag(v)[9:11]), tolerance = 1e-6)
  un <- tilt_sensitivity(w, "y", alpha = c(0, alpha), wave = "T2",
                         by = "g", anchor = FALSE)
  expect_equal(un$estimate, tilt_sensitivity(w, "y", alpha = c(0, alpha),
                                             wave = "T2", by = "g")$estimate,
               tolerance = 1e-10)
  tw <- panelattrition:::tilted_weights(
    w, panelattrition:::tilt_outcome_matrix(w, panelattrition:::panel_rows(w),
                                            w$panel$data$y),
    rep(alpha, nrow(w$weights)), list(maxit = 100, epsilon = 1e-12), "y")
  tm <- wave_means(tw, "y", by = "g")
  tm <- tm[tm$wave == "T2", ]
  expect_equal(tm$estimate, unname(mu), tolerance = 1e-8)
  expect_equal(tm$std_error, sqrt(diag(v)[9:11]), tolerance = 1e-6)
})

test_that("calibrations are tilted within their own calibration function: stacked numerical sandwich", {
  # one stage from the baseline sample: sum_resp F(x'lambda - alpha y) x =
  # sum x and the mean, for raking, linear and kott calibration
  s <- sim_panel(n = 500, seed = 5)
  tr <- s$truth
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "age"))
  x <- cbind(1, tr$g == "b", tr$g == "c", tr$age)
  r <- tr$r2
  y <- ifelse(r, tr$y2, 0)
  alpha <- 0.04
  funs <- list(raking = exp, linear = function(u) 1 + u,
               kott = function(u) 1 + exp(u))
  for (cf in names(funs)) {
    w <- attrition_weights(panel, ~ g + age, method = "calibrate",
                           calfun = cf, monotone = FALSE)
    psi <- function(th) {
      wt <- funs[[cf]](drop(x %*% th[1:4]) - alpha * y)
      cbind(x * (r * wt - 1), ifelse(r, wt * (y - th[5]), 0))
    }
    th <- c(if (cf == "kott") -1 else 0, 0, 0, 0, mean(y[r]))
    for (i in 1:100) {
      step <- solve(numeric_bread(psi, th), colSums(psi(th)))
      th <- th - step
      if (max(abs(step)) < 1e-12) break
    }
    v <- numeric_sandwich(psi, th)
    tl <- tilt_sensitivity(w, "y", alpha = c(0, alpha), wave = "T2",
                           tipping = FALSE)
    expect_equal(tl$estimate[2], th[5], tolerance = 1e-8, info = cf)
    expect_equal(tl$std_error[2], sqrt(v[5, 5]), tolerance = 1e-6, info = cf)
  }
  # two sequential raking stages with history, the second chained on the
  # first's tilted weights
  set.seed(21)
  n <- 400
  z <- stats::rnorm(n)
  y1 <- 1 + 0.5 * z + stats::rnorm(n)
  y2 <- 0.5 + 0.7 * y1 + stats::rnorm(n)
  y3 <- 0.5 + 0.7 * y2 + stats::rnorm(n)
  r2 <- stats::runif(n) < stats::plogis(0.8 + 0.4 * z - 0.6 * y1 + 0.5 * y2)
  r3 <- r2 & stats::runif(n) < stats::plogis(0.6 + 0.3 * z - 0.6 * y2 +
                                               0.5 * y3)
  ids <- sprintf("i%04d", seq_len(n))
  long <- rbind(data.frame(id = ids, wave = "T1", z = z, y = y1),
                data.frame(id = ids, wave = "T2", z = z, y = y2)[r2, ],
                data.frame(id = ids, wave = "T3", z = z, y = y3)[r3, ])
  w <- attrition_weights(panel_data(long, id = "id", wave = "wave",
                                    baseline = "z"),
                         ~ z, history = "y", method = "calibrate")
  a <- 0.5
  g2 <- cbind(1, z, y1)
  g3 <- cbind(1, z, y2)
  o2 <- ifelse(r2, y2, 0)
  o3 <- ifelse(r3, y3, 0)
  psi <- function(th) {
    w2 <- ifelse(r2, exp(drop(g2 %*% th[1:3]) - a * o2), 0)
    w3 <- ifelse(r3, w2 * exp(drop(g3 %*% th[4:6]) - a * o3), 0)
    cbind(g2 * (w2 - 1), r2 * g3 * (w3 - w2), w3 * (o3 - th[7]))
  }
  th <- c(rep(0, 6), mean(y3[r3]))
  for (i in 1:100) {
    step <- solve(numeric_bread(psi, th), colSums(psi(th)))
    th <- th - step
    if (max(abs(step)) < 1e-12) break
  }
  v <- numeric_sandwich(psi, th)
  tl <- tilt_sensitivity(w, "y", alpha = c(0, a), wave = "T3",
                         tipping = FALSE)
  expect_equal(tl$estimate[2], th[7], tolerance = 1e-8)
  expect_equal(tl$std_error[2], sqrt(v[7, 7]), tolerance = 1e-6)
})

test_that("tilting at the true alpha removes the bias of the MAR estimate", {
  # response at T2 depends on the T2 outcome itself; the estimand is the
  # mean of the whole baseline sample
  set.seed(20240605)
  n <- 20000
  g <- factor(sample(c("a", "b"), n, replace = TRUE))
  age <- round(stats::runif(n, 18, 65))
  y1 <- stats::rnorm(n, 5 + (g == "b") + 0.02 * (age - 40), 1.5)
  y2 <- pmin(pmax(round(y1 + stats::rnorm(n, 0.5, 1.5)), 0), 10)
  alpha0 <- 0.2
  ids <- sprintf("id%05d", seq_len(n))
  build <- function(r2) {
    long <- rbind(
      data.frame(id = ids, wave = "T1", g = g, age = age, y = y1),
      data.frame(id = ids, wave = "T2", g = g, age = age, y = y2)[r2, ]
    )
    panel <- panel_data(long, id = "id", wave = "wave",
                        baseline = c("g", "age"))
    attrition_weights(panel, ~ g + age)
  }
  truth <- mean(y2)
  # logit P(answer) = gamma'x + alpha0 y2
  p_odds <- stats::plogis(-1 + 0.4 * (g == "b") - 0.01 * (age - 40) +
                            alpha0 * (y2 - 5))
  w <- build(stats::runif(n) < p_odds)
  tl <- tilt_sensitivity(w, "y", alpha = c(0, alpha0), scale = "odds")
  mar <- tl[tl$alpha == 0, ]
  tilted <- tl[tl$alpha == alpha0, ]
  expect_gt(abs(mar$estimate - truth) / mar$std_error, 3)
  expect_lt(abs(tilted$estimate - truth) / tilted$std_error, 3)
})

test_that("worst-case and monotone bounds equal hand calculations", {
  skip_if_not_installed("survey")
  people <- data.frame(
    id = sprintf("q%02d", 1:10),
    g = rep(c("x", "y"), each = 5),
    bw = c(1, 2, 1, 3, 1, 2, 2, 1, 1, 4),
    t2 = c(TRUE, TRUE, FALSE, TRUE, FALSE, TRUE, TRUE, TRUE, FALSE, FALSE),
    emp = c("employed", "unemployed", NA, NA, NA,
            "employed", "employed", "inactive", NA, NA)
  )
  # person 4 answered T2 but not the employment question
  long <- rbind(
    data.frame(id = people$id, wave = "T1", g = people$g, bw = people$bw,
               emp = "unemployed"),
    data.frame(id = people$id, wave = "T2", g = people$g, bw = people$bw,
               emp = people$emp)[people$t2, ]
  )
  long$emp <- factor(long$emp, levels = c("employed", "unemployed",
                                          "inactive"))
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "bw"))
  w <- attrition_weights(panel, ~ 1, base = "bw")
  # ten people: the hand calculation needs every row shown
  b <- attrition_bounds(w, "emp", category = "employed", by = "g",
                        min_n = 0)
  bm <- attrition_bounds(w, "emp", category = "employed", by = "g",
                         assume = "monotone", min_n = 0)

  known <- people$t2 & !is.na(people$emp)
  yes <- known & people$emp %in% "employed"
  for (k in c("x", "y")) {
    s <- people$g == k
    n_d <- sum(people$bw[s])
    lower <- sum(people$bw[s] * yes[s]) / n_d
    share <- sum(people$bw[s] * known[s]) / n_d
    row <- b[b$group == k, ]
    expect_equal(row$lower, lower, tolerance = 1e-12)
    expect_equal(row$upper, lower + 1 - share, tolerance = 1e-12)
    expect_equal(row$share_observed, share, tolerance = 1e-12)
    expect_equal(bm$upper[bm$group == k],
                 sum(people$bw[s] * yes[s]) / sum(people$bw[s] * known[s]),
                 tolerance = 1e-12)
    expect_equal(bm$lower[bm$group == k], lower, tolerance = 1e-12)
  }
  expect_equal(b$width, b$upper - b$lower)

  # standard errors: survey's linearisation, people as clusters
  people$lo <- as.numeric(yes)
  people$hi <- as.numeric(yes | !known)
  people$kn <- as.numeric(known)
  des <- survey::svydesign(ids = ~id, weights = ~bw, data = people)
  ref_lo <- survey::svyby(~lo, ~g, des, survey::svymean)
  ref_hi <- survey::svyby(~hi, ~g, des, survey::svymean)
  ref_mo <- survey::svyby(~lo, ~g, des, survey::svyratio, denominator = ~kn)
  expect_equal(b$se_lower, unname(survey::SE(ref_lo)), tolerance = 1e-10)
  expect_equal(b$se_upper, unname(survey::SE(ref_hi)), tolerance = 1e-10)
  expect_equal(bm$se_upper, unname(survey::SE(ref_mo)), tolerance = 1e-10)

  # Imbens-Manski critical value, solved here by uniroot
  for (tab in list(b, bm)) {
    for (i in seq_len(nrow(tab))) {
      se_max <- max(tab$se_lower[i], tab$se_upper[i])
      r <- (tab$upper[i] - tab$lower[i]) / se_max
      crit <- stats::uniroot(function(cc) {
        stats::pnorm(cc + r) - stats::pnorm(-cc) - 0.95
      }, c(0, 5), tol = 1e-14)$root
      expect_gt(crit, stats::qnorm(0.95) - 1e-9)
      expect_lt(crit, stats::qnorm(0.975) + 1e-9)
      expect_equal(tab$conf_low[i],
                   max(0, tab$lower[i] - crit * tab$se_lower[i]),
                   tolerance = 1e-9)
      expect_equal(tab$conf_high[i],
                   min(1, tab$upper[i] + crit * tab$se_upper[i]),
                   tolerance = 1e-9)
    }
  }
})

test_that("sensitivity functions refuse wrong input with classed errors", {
  m <- sens_weights(n = 300, formula = ~ g + age, monotone = FALSE)
  w <- m$w
  est <- wave_means(w, "y", by = "g")
  expect_error(tipping_point(data.frame(a = 1), delta = 1),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = "a", null = 0),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = c(0, NA), null = 0),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = 1),
               "`null` must be given", class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = 1, null = c(1, 2)),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = 1, null = 0, conf_level = 2),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = 1, null = 0,
                             group_delta = c(a = 1, zz = 2)),
               "`zz`", class = "panelattrition_arg_error")
  expect_error(tipping_point(est, delta = 1, null = 0, group_delta = 2),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(wave_means(w, "y"), delta = 1, null = 0,
                             group_delta = c(a = 1)),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(compare_groups(est), delta = 1,
                             group_delta = c(d = 1)),
               class = "panelattrition_arg_error")

  w$panel$data$status <- factor(ifelse(w$panel$data$y > 55, "high", "low"))
  expect_error(attrition_bounds(w, "y"), "must be binary",
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(w, "status"), "category",
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(w, "status", category = "medium"),
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(w, "nothing"),
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(w, "status", category = "high", conf_level = 0.4),
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(w, "status", category = "high",
                                assume = "mono"),
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(w, "status", category = "high", wave = "T9"),
               class = "panelattrition_arg_error")
  expect_error(attrition_bounds(list(), "status"),
               class = "panelattrition_arg_error")

  expect_error(tilt_sensitivity(w, "y", alpha = NA),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(w, "y", alpha = "1"),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(w, "y", alpha = 0, category = "a"),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(w, "y", alpha = 0, scale = "log"),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(est, "y", alpha = 0),
               class = "panelattrition_arg_error")
})

test_that("print and plot methods return their argument invisibly", {
  m <- sens_weights(n = 300, formula = ~ g + age, monotone = FALSE)
  w <- m$w
  w$panel$data$hi <- w$panel$data$y > 55
  tp <- tipping_point(panel_change(w, "y", to = "T2"), delta = c(-4, 0, 4))
  tl <- tilt_sensitivity(w, "y", alpha = c(-0.02, 0, 0.02), by = "g")
  b <- attrition_bounds(w, "hi", by = "g")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  for (obj in list(tp, tl, b)) {
    expect_invisible(plot(obj))
    expect_identical(plot(obj), obj)
    out <- utils::capture.output(res <- print(obj))
    expect_identical(res, obj)
  }
  expect_output(print(tp), "Tipping points")
  expect_output(print(b), "Imbens-Manski")
})

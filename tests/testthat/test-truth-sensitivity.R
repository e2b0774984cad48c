# Known truth for the sensitivity analyses (issue 16): MNAR panels whose
# dropout at each wave depends on the current outcome with a known alpha,
# with and without dependence on the previous outcome (history).

# logit P(R_t = 1 | past, y_t) = a_t + 0.4 x - c y_{t-1} + alpha y_t
sim_mnar <- function(n = 20000, alpha = 0.5, hist = TRUE, seed = 1601) {
  set.seed(seed)
  x <- stats::rnorm(n)
  g <- factor(sample(c("a", "b"), n, TRUE))
  y1 <- 1 + 0.5 * x + 0.3 * (g == "b") + stats::rnorm(n)
  y2 <- 0.5 + 0.7 * y1 + 0.3 * x + stats::rnorm(n)
  y3 <- 0.5 + 0.7 * y2 + 0.3 * x + stats::rnorm(n)
  c1 <- if (hist) 0.6 else 0
  a3 <- if (hist) 0.6 else -0.6
  r2 <- stats::runif(n) < stats::plogis(0.8 + 0.4 * x - c1 * y1 + alpha * y2)
  r3 <- r2 & stats::runif(n) <
    stats::plogis(a3 + 0.3 * x - c1 * y2 + alpha * y3)
  ids <- sprintf("i%05d", seq_len(n))
  long <- rbind(
    data.frame(id = ids, wave = "T1", x = x, g = g, y = y1),
    data.frame(id = ids, wave = "T2", x = x, g = g, y = y2)[r2, ],
    data.frame(id = ids, wave = "T3", x = x, g = g, y = y3)[r3, ]
  )
  long$st <- factor(ifelse(long$y > 1.8, "high", ifelse(long$y > 0.6, "mid",
                                                         "low")))
  list(long = long, y = cbind(y1, y2, y3), g = g, x = x, r2 = r2, r3 = r3,
       truth = c(T2 = mean(y2), T3 = mean(y3)))
}

mnar_weights <- function(s, hist = TRUE, ...) {
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("x", "g"))
  if (hist) attrition_weights(panel, ~ x, history = "y", ...)
  else attrition_weights(panel, ~ x, ...)
}

test_that("tilting at the true alpha lands within 4 SE of the truth, with and without history", {
  # (before issue 16, the one-step re-calibration to the baseline totals
  # was off by -0.148 at T2 and -0.321 at T3 with history (12 and 18 SE);
  # without history by +0.031 at T3 (1.7 SE))
  for (hist in c(TRUE, FALSE)) {
    s <- sim_mnar(hist = hist)
    w <- mnar_weights(s, hist)
    tl <- tilt_sensitivity(w, "y", alpha = c(0, 0.5))
    at <- tl[tl$alpha == 0.5, ]
    expect_equal(as.character(at$wave), c("T2", "T3"))
    z <- (at$estimate - s$truth) / at$std_error
    expect_true(all(abs(z) < 4), info = paste("history", hist, toString(z)))
    # unanchored, the tilted estimate itself
    un <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), anchor = FALSE)
    un <- un[un$alpha == 0.5, ]
    expect_true(all(abs(un$estimate - s$truth) < 4 * un$std_error))
    # and the MAR estimate is off: the test has power
    mar <- tl[tl$alpha == 0, ]
    expect_true(all(abs(mar$estimate - s$truth) / mar$std_error > 4))
    # within-person change from T1 at the true alpha
    ch <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1",
                           tipping = FALSE)
    ch <- ch[ch$alpha == 0.5, ]
    truth_ch <- s$truth - mean(s$y[, 1])
    expect_true(all(abs(ch$estimate - truth_ch) < 4 * ch$std_error))
  }
})

# The validation study's people (inst/validation/study.R) and its mnar
# mechanism: logit P(R_t = 1) = 0.3 + 0.5 x1 - 0.4 x2 + 0.4 (y_{t-1} - 1)
# - 0.5 e_{t-1} + 0.5 (y_t - y_{t-1}), so with y and e in `history` the
# tilted stages at alpha = 0.5 are the true response model.
sim_study_mnar <- function(n, seed) {
  set.seed(seed)
  g <- factor(sample(c("a", "b", "c"), n, TRUE, prob = c(0.40, 0.35, 0.25)))
  x1 <- stats::rnorm(n)
  x2 <- as.integer(stats::runif(n) < 0.4)
  y1 <- 1 + 0.5 * x1 + 0.4 * x2 + 0.3 * (g == "b") + stats::rnorm(n)
  y2 <- y1 + 0.3 + 0.3 * x1 + 0.2 * x1^2 + 0.2 * (g == "c") +
    stats::rnorm(n, 0, 0.7)
  y3 <- y2 + 0.2 + 0.2 * x1 + 0.3 * x1^2 - 0.2 * x2 + stats::rnorm(n, 0, 0.7)
  e1 <- as.integer(stats::runif(n) < stats::plogis(-0.8 + 0.6 * x1))
  step <- function(e_prev, y_prev) {
    move <- stats::runif(n) < stats::plogis(-1.5 + 0.6 * x1 +
                                              0.5 * (g == "c") +
                                              0.4 * (y_prev - 1))
    as.integer(ifelse(e_prev == 1L, stats::runif(n) < 0.9, move))
  }
  e2 <- step(e1, y1)
  e3 <- step(e2, y2)
  index <- function(y_prev, e_prev, y_now) {
    0.3 + 0.5 * x1 - 0.4 * x2 + 0.4 * (y_prev - 1) - 0.5 * e_prev +
      0.5 * (y_now - y_prev)
  }
  r2 <- stats::runif(n) < stats::plogis(index(y1, e1, y2))
  r3 <- r2 & stats::runif(n) < stats::plogis(index(y2, e2, y3))
  ids <- sprintf("P%06d", seq_len(n))
  base <- data.frame(id = ids, g = g, x1 = x1, x2 = x2)
  long <- rbind(cbind(base, wave = "T1", y = y1, emp = e1),
                cbind(base, wave = "T2", y = y2, emp = e2)[r2, ],
                cbind(base, wave = "T3", y = y3, emp = e3)[r3, ])
  list(long = long, truth = mean(y3), truth_change = mean(y3 - y1))
}

test_that("the study's MNAR panel: logit weights with history, tilted at the true alpha", {
  # Before the fix the tilted stages' equations at alpha = 0 were not the
  # maximum likelihood ones, and the default curve, anchored on the ML
  # estimate, was 2.174 at alpha = 0.5 (SE 0.0218, z = -2.0; unanchored
  # 2.208); now alpha = 0 is the ML fit itself and anchoring is a no-op.
  s <- sim_study_mnar(30000, 1616)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "x1", "x2"))
  w <- attrition_weights(panel, ~ x1 + x2 + g, history = c("y", "emp"))
  tl <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), wave = "T3",
                         tipping = FALSE)
  at <- tl[tl$alpha == 0.5, ]
  expect_lt(abs(at$estimate - s$truth), 4 * at$std_error)
  # the MAR estimate is far off: the test has power
  mar <- tl[tl$alpha == 0, ]
  expect_gt(abs(mar$estimate - s$truth), 8 * mar$std_error)
  # the curve is the tilted estimate itself, anchored or not
  un <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), wave = "T3",
                         tipping = FALSE, anchor = FALSE)
  expect_equal(un$estimate, tl$estimate, tolerance = 1e-10)
  expect_equal(un$std_error, tl$std_error, tolerance = 1e-10)
  # the change from T1
  ch <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1",
                         wave = "T3", tipping = FALSE)
  ch <- ch[ch$alpha == 0.5, ]
  expect_lt(abs(ch$estimate - s$truth_change), 4 * ch$std_error)
})

# The validation study's mnar_base mechanism: dropout without history,
# logit P(R_t = 1) = 0.3 + 0.7 x1 - 0.6 x2 + 0.4 [g = c] + 0.5 y_t, so the
# weights' formula ~ x1 + x2 + g without history, tilted at alpha = 0.5,
# is the true model at both dropout stages.
sim_study_mnar_base <- function(n, seed) {
  set.seed(seed)
  g <- factor(sample(c("a", "b", "c"), n, TRUE, prob = c(0.40, 0.35, 0.25)))
  x1 <- stats::rnorm(n)
  x2 <- as.integer(stats::runif(n) < 0.4)
  y1 <- 1 + 0.5 * x1 + 0.4 * x2 + 0.3 * (g == "b") + stats::rnorm(n)
  y2 <- y1 + 0.3 + 0.3 * x1 + 0.2 * x1^2 + 0.2 * (g == "c") +
    stats::rnorm(n, 0, 0.7)
  y3 <- y2 + 0.2 + 0.2 * x1 + 0.3 * x1^2 - 0.2 * x2 + stats::rnorm(n, 0, 0.7)
  index <- 0.3 + 0.7 * x1 - 0.6 * x2 + 0.4 * (g == "c")
  r2 <- stats::runif(n) < stats::plogis(index + 0.5 * y2)
  r3 <- r2 & stats::runif(n) < stats::plogis(index + 0.5 * y3)
  ids <- sprintf("P%06d", seq_len(n))
  base <- data.frame(id = ids, g = g, x1 = x1, x2 = x2)
  long <- rbind(cbind(base, wave = "T1", y = y1),
                cbind(base, wave = "T2", y = y2)[r2, ],
                cbind(base, wave = "T3", y = y3)[r3, ])
  list(long = long, truth = mean(y3), truth_change = mean(y3 - y1))
}

test_that("the study's MNAR panel without history: logit and kott weights tilted at the true alpha", {
  s <- sim_study_mnar_base(20000, 1617)
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("g", "x1", "x2"))
  fits <- list(
    logit = attrition_weights(panel, ~ x1 + x2 + g),
    kott = attrition_weights(panel, ~ x1 + x2 + g, method = "calibrate",
                             calfun = "kott")
  )
  for (m in names(fits)) {
    w <- fits[[m]]
    tl <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), wave = "T3",
                           tipping = FALSE)
    at <- tl[tl$alpha == 0.5, ]
    expect_lt(abs(at$estimate - s$truth), 4 * at$std_error)
    # the naive IPW (the MAR weights, alpha = 0) is far off: power
    mar <- tl[tl$alpha == 0, ]
    expect_gt(abs(mar$estimate - s$truth), 4 * mar$std_error)
    ch <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1",
                           wave = "T3", tipping = FALSE)
    at <- ch[ch$alpha == 0.5, ]
    expect_lt(abs(at$estimate - s$truth_change), 4 * at$std_error)
    mar <- ch[ch$alpha == 0, ]
    expect_gt(abs(mar$estimate - s$truth_change), 4 * mar$std_error)
  }
})

test_that("alpha = 0 and delta = 0 reproduce the input estimates to 1e-10", {
  s <- sim_mnar(n = 1500, seed = 7)
  # a frame of people who never answered, and base weights
  extra <- data.frame(id = sprintf("f%04d", 1:400), x = stats::rnorm(400),
                      g = factor(sample(c("a", "b"), 400, TRUE)))
  frame <- rbind(unique(s$long[s$long$wave == "T1", c("id", "x", "g")]), extra)
  frame$d <- 1 + (frame$g == "b")
  panels <- list(
    plain = panel_data(s$long, id = "id", wave = "wave",
                       baseline = c("x", "g")),
    frame = panel_data(s$long, id = "id", wave = "wave",
                       baseline = c("x", "g"), frame = frame)
  )
  fits <- list(
    logit = function(p) attrition_weights(p, ~ x + g, history = "y"),
    firth = function(p) attrition_weights(p, ~ x + g, history = "y",
                                          method = "firth"),
    kott = function(p) attrition_weights(p, ~ x + g, history = "y",
                                         method = "calibrate",
                                         calfun = "kott"),
    raking = function(p) attrition_weights(p, ~ x + g, history = "y",
                                           method = "calibrate",
                                           base = if (isTRUE(p$frame_given)) "d"),
    linear = function(p) attrition_weights(p, ~ x + g, history = "y",
                                           method = "calibrate",
                                           calfun = "linear",
                                           base = if (isTRUE(p$frame_given)) "d"),
    logit_base = function(p) attrition_weights(p, ~ x + g, history = "y",
                                               base = "d")
  )
  combos <- list(c("plain", "logit"), c("frame", "logit"),
                 c("frame", "logit_base"),
                 c("plain", "firth"), c("frame", "kott"),
                 c("frame", "raking"), c("frame", "linear"))
  for (cb in combos) {
    pn <- cb[1]
    fn <- cb[2]
    w <- fits[[fn]](panels[[pn]])
    info <- paste(pn, fn)
    m <- wave_means(w, "y", by = "g")
    tl <- tilt_sensitivity(w, "y", alpha = c(-0.3, 0, 0.3), by = "g")
    z <- tl[tl$alpha == 0, ]
    k <- match(paste(z$wave, z$group), paste(m$wave, m$g))
    expect_equal(z$estimate, m$estimate[k], tolerance = 1e-10, info = info)
    expect_equal(z$std_error, m$std_error[k], tolerance = 1e-10, info = info)
    # a category of a factor
    p <- wave_means(w, "st")
    tp <- tl_p <- tilt_sensitivity(w, "st", alpha = c(0, 1),
                                   category = "high")
    z <- tl_p[tl_p$alpha == 0, ]
    ph <- p[p$level == "high" & p$wave != "T1", ]
    expect_equal(z$estimate, ph$estimate, tolerance = 1e-10, info = info)
    expect_equal(z$std_error, ph$std_error, tolerance = 1e-10, info = info)
    # change and group contrasts
    ch <- panel_change(w, "y", from = "T1", to = "T3")
    tc <- tilt_sensitivity(w, "y", alpha = c(0, 0.2), from = "T1", wave = "T3",
                           tipping = FALSE)
    expect_equal(tc$estimate[tc$alpha == 0], ch$estimate, tolerance = 1e-10)
    expect_equal(tc$std_error[tc$alpha == 0], ch$std_error, tolerance = 1e-10)
    cmp <- compare_groups(m, ref = "a")
    tg <- tilt_sensitivity(w, "y", alpha = c(0, 0.2), by = "g", ref = "a",
                           tipping = FALSE)
    z <- tg[tg$alpha == 0, ]
    cm <- cmp[cmp$wave != "T1", ]
    expect_equal(z$estimate, cm$estimate, tolerance = 1e-10, info = info)
    expect_equal(z$std_error, cm$std_error, tolerance = 1e-10, info = info)
    # per-group alpha: multipliers of 1 for every group are the common
    # alpha; tilting one group moves it more than the other
    ga <- tilt_sensitivity(w, "y", alpha = c(0, 0.3), by = "g",
                           group_alpha = c(a = 1, b = 1))
    expect_equal(ga$estimate, tl$estimate[tl$alpha != -0.3],
                 tolerance = 1e-10, info = info)
    gb <- tilt_sensitivity(w, "y", alpha = c(0, 0.3), by = "g",
                           group_alpha = c(b = 1))
    move <- abs(gb$estimate[gb$alpha == 0.3] - gb$estimate[gb$alpha == 0])
    expect_true(all(move[gb$group[gb$alpha == 0] == "b"] >
                      move[gb$group[gb$alpha == 0] == "a"]), info = info)
    # delta = 0
    for (tab in list(m, p, ch)) {
      tp <- tipping_point(tab, delta = c(-1, 0, 1), null = 0, w = w)
      d0 <- tp[tp$delta == 0, ]
      expect_equal(d0$estimate, tab$estimate, tolerance = 1e-10)
      if (!isTRUE(panels[[pn]]$frame_given)) {
        expect_equal(d0$std_error, tab$std_error, tolerance = 1e-10)
      }
    }
  }
})

test_that("the tilted sandwich counts both chained stages: stacked numerical sandwich", {
  # stacked: the two stages' maximum likelihood scores, the two tilted
  # stages (instruments pihat x; the second started from the first's
  # tilted weights) and the mean at T3
  s <- sim_mnar(n = 400, seed = 21)
  w <- mnar_weights(s)
  y <- s$y
  r2 <- s$r2
  r3 <- s$r3
  a <- 0.5
  g2 <- cbind(1, s$x, y[, 1])
  g3 <- cbind(1, s$x, y[, 2])
  y2 <- ifelse(r2, y[, 2], 0)
  y3 <- ifelse(r3, y[, 3], 0)
  at2 <- ifelse(r2, 1, 0)
  psi <- function(th) {
    p2 <- drop(stats::plogis(g2 %*% th[1:3]))
    p3 <- drop(stats::plogis(g3 %*% th[4:6]))
    e2 <- exp(-drop(g2 %*% th[7:9]) - a * y2)
    w2 <- ifelse(r2, 1 + e2, 0)
    e3 <- exp(-drop(g3 %*% th[10:12]) - a * y3)
    w3 <- ifelse(r3, w2 * (1 + e3), 0)
    cbind(g2 * (r2 - p2), at2 * g3 * (r3 - p3),
          g2 * (p2 * (r2 * (1 + e2) - 1)),
          at2 * g3 * (p3 * (r3 * (1 + e3) - 1)),
          w3 * (y3 - th[13]))
  }
  # the solution by Newton on the stacked equations (numerical Jacobian)
  th <- c(rep(0, 12), mean(y[r3, 3]))
  for (i in 1:50) {
    f <- colSums(psi(th))
    step <- solve(numeric_bread(psi, th), f)
    th <- th - step
    if (max(abs(step)) < 1e-12) break
  }
  v <- numeric_sandwich(psi, th)
  rows <- panelattrition:::panel_rows(w)
  ym <- panelattrition:::tilt_outcome_matrix(w, rows, w$panel$data$y)
  tw <- panelattrition:::tilted_weights(w, ym, rep(a, nrow(ym)),
                                        list(maxit = 100, epsilon = 1e-13),
                                        "y")
  tm <- wave_means(tw, "y")
  expect_equal(tm$estimate[3], th[13], tolerance = 1e-8)
  expect_equal(tm$std_error[3], sqrt(v[13, 13]), tolerance = 1e-6)
  tl <- tilt_sensitivity(w, "y", alpha = c(0, a), wave = "T3")
  expect_equal(tl$std_error[tl$alpha == a], sqrt(v[13, 13]), tolerance = 1e-6)
})

test_that("proportions stay inside the Manski bounds for delta in [-30, 30]", {
  s <- sim_mnar(n = 8000)
  w <- mnar_weights(s)
  m <- wave_means(w, "st", by = "g")
  tp <- tipping_point(m, delta = c(-30, -10, -3, 0, 3, 10, 30), null = 0.5,
                      w = w)
  b <- attrition_bounds(w, "st", category = "high", by = "g")
  hi <- tp[tp$level == "high" & tp$wave != "T1", ]
  k <- match(paste(hi$wave, hi$g), paste(b$wave, b$group))
  expect_true(all(hi$estimate >= b$lower[k] - 1e-12))
  expect_true(all(hi$estimate <= b$upper[k] + 1e-12))
  # at +-30 the estimate is at the bounds
  expect_equal(hi$estimate[hi$delta == 30],
               b$upper[k][hi$delta == 30], tolerance = 1e-6)
  expect_equal(hi$estimate[hi$delta == -30],
               b$lower[k][hi$delta == -30], tolerance = 1e-6)
  # every category, over the whole panel
  tp <- tipping_point(wave_means(w, "st"), delta = seq(-30, 30, by = 5),
                      null = 0.5, w = w)
  for (lv in c("low", "mid", "high")) {
    b <- attrition_bounds(w, "st", category = lv)
    x <- tp[tp$level == lv & tp$wave != "T1", ]
    k <- match(x$wave, b$wave)
    expect_true(all(x$estimate >= b$lower[k] - 1e-12 &
                      x$estimate <= b$upper[k] + 1e-12), info = lv)
  }
})

test_that("tipping deltas and alphas equal root-finding by hand", {
  s <- sim_mnar(n = 5000)
  w <- mnar_weights(s)
  m <- wave_means(w, "y")
  # delta: mu + delta (1 - p) crosses the null at (null - mu) / (1 - p)
  tp <- tipping_point(m, delta = c(0, 1), null = 1.2, criterion = "estimate")
  p <- c(1, mean(s$r2), mean(s$r3))
  hand <- (1.2 - m$estimate) / (1 - p)
  tip <- attr(tp, "tipping")
  expect_equal(tip$tipping_delta[2:3],
               vapply(2:3, function(t) {
                 stats::uniroot(function(d) m$estimate[t] + d * (1 - p[t]) - 1.2,
                                c(-10, 10), tol = 1e-12)$root
               }, numeric(1)), tolerance = 1e-6)
  expect_equal(tip$tipping_delta[2:3], hand[2:3], tolerance = 1e-6)

  # alpha: the tilted weights by hand (two sequential stages, Newton on
  # sum pihat (r / pi - 1) g = 0, pihat the stage's ML fit), which at
  # alpha = 0 is the input weights' estimate
  y <- s$y
  r <- cbind(TRUE, s$r2, s$r3)
  tilted_mean <- function(a) {
    wt <- rep(1, nrow(y))
    for (t in 2:3) {
      risk <- r[, t - 1]
      gx <- cbind(1, s$x, y[, t - 1])[risk, ]
      rr <- r[risk, t]
      ml <- stats::glm.fit(gx, rr, family = stats::binomial(),
                           control = list(epsilon = 1e-14, maxit = 100))
      ph <- ml$fitted.values
      st <- wt[risk]
      off <- ifelse(rr, a * y[risk, t], 0)
      gam <- ml$coefficients
      for (i in 1:100) {
        e <- ifelse(rr, exp(-drop(gx %*% gam) - off), 0)
        u <- colSums(gx * (ph * (rr * (1 + e) - 1)))
        step <- solve(crossprod(gx, gx * (ph * e)), u)
        gam <- gam + step
        if (max(abs(step)) < 1e-12) break
      }
      new <- rep(0, nrow(y))
      new[which(risk)[rr]] <- (st * (1 + e))[rr]
      wt <- new
    }
    sum(wt * ifelse(r[, 3], y[, 3], 0)) / sum(wt)
  }
  expect_equal(tilted_mean(0), m$estimate[3], tolerance = 1e-10)
  mu0 <- tilted_mean(0)
  target <- m$estimate[3] - 0.15
  hand_alpha <- stats::uniroot(
    function(a) m$estimate[3] + tilted_mean(a) - mu0 - target,
    c(-1, 1), tol = 1e-12)$root
  tl <- tilt_sensitivity(w, "y", alpha = c(0, 0.2), wave = "T3",
                         null = target, criterion = "estimate")
  expect_equal(attr(tl, "tipping")$tipping_alpha, hand_alpha,
               tolerance = 1e-6)
  # and the anchored estimate itself at a few alphas
  tl <- tilt_sensitivity(w, "y", alpha = c(-0.4, 0, 0.25), wave = "T3")
  expect_equal(tl$estimate,
               m$estimate[3] + vapply(c(-0.4, 0, 0.25), tilted_mean,
                                      numeric(1)) - mu0,
               tolerance = 1e-8)

  # a change stops being significant; a group difference changes sign
  ch <- panel_change(w, "y", from = "T1", to = "T3")
  tc <- tilt_sensitivity(w, "y", alpha = c(0, 0.5), from = "T1", wave = "T3")
  tip <- attr(tc, "tipping")
  ev <- function(a) {
    z <- tilt_sensitivity(w, "y", alpha = c(0, a), from = "T1", wave = "T3",
                          tipping = FALSE)
    z <- z[z$alpha == a, ]
    z$conf_low
  }
  expect_equal(tip$tipping_alpha[tip$wave == "T3"],
               stats::uniroot(ev, c(0.2, 2), tol = 1e-9)$root,
               tolerance = 1e-6)
})

test_that("benchmark ratios equal a hand computation from the fitted response models", {
  s <- sim_mnar(n = 8000)
  w <- mnar_weights(s)
  risk3 <- s$r2
  d3 <- data.frame(r = s$r3[risk3], x = s$x[risk3], y_prev = s$y[risk3, 2])
  b3 <- stats::coef(stats::glm(r ~ x + y_prev, family = stats::binomial(),
                               data = d3,
                               control = stats::glm.control(epsilon = 1e-14)))
  d2 <- data.frame(r = s$r2, x = s$x, y_prev = s$y[, 1])
  b2 <- stats::coef(stats::glm(r ~ x + y_prev, family = stats::binomial(),
                               data = d2,
                               control = stats::glm.control(epsilon = 1e-14)))
  tl <- tilt_sensitivity(w, "y", alpha = c(0, 0.5))
  expect_equal(attr(tl, "benchmark_term"), "y_prev")
  at <- tl[tl$alpha == 0.5, ]
  expect_equal(at$alpha_benchmark, 0.5 / c(b2[["y_prev"]], b3[["y_prev"]]),
               tolerance = 1e-6)
  # delta on the SD scale
  m <- wave_means(w, "y")
  tp <- attr(tipping_point(m, delta = c(0, 1), null = 1.2,
                           criterion = "estimate"), "tipping")
  ww <- w$weights[s$r3, 3]
  yy <- s$y[s$r3, 3]
  sd3 <- sqrt(sum(ww * (yy - sum(ww * yy) / sum(ww))^2) / sum(ww))
  expect_equal(tp$tipping_benchmark[3], tp$tipping_delta[3] / sd3,
               tolerance = 1e-10)
})

test_that("Lee bounds equal a hand computation", {
  s <- sim_mnar(n = 8000)
  w <- mnar_weights(s)
  m <- wave_means(w, "y", by = "g")
  cmp <- compare_groups(m, ref = "a")
  ss <- sensitivity_summary(cmp, w)
  # by hand at T3 (equal base weights): trim the group answering more
  ya <- s$y[s$g == "a" & s$r3, 3]
  yb <- s$y[s$g == "b" & s$r3, 3]
  pa <- mean(s$r3[s$g == "a"])
  pb <- mean(s$r3[s$g == "b"])
  hand <- if (pb >= pa) {
    q <- (pb - pa) / pb
    k <- length(yb) * (1 - q)
    sb <- sort(yb)
    low_mean <- (sum(sb[seq_len(floor(k))]) + (k - floor(k)) * sb[floor(k) + 1]) / k
    sb <- sort(yb, decreasing = TRUE)
    high_mean <- (sum(sb[seq_len(floor(k))]) + (k - floor(k)) * sb[floor(k) + 1]) / k
    c(high_mean - mean(ya), low_mean - mean(ya))
  } else {
    q <- (pa - pb) / pa
    k <- length(ya) * (1 - q)
    sa <- sort(ya)
    low_mean <- (sum(sa[seq_len(floor(k))]) + (k - floor(k)) * sa[floor(k) + 1]) / k
    sa <- sort(ya, decreasing = TRUE)
    high_mean <- (sum(sa[seq_len(floor(k))]) + (k - floor(k)) * sa[floor(k) + 1]) / k
    c(mean(yb) - high_mean, mean(yb) - low_mean)
  }
  # the contrast is b - a
  row <- ss[ss$wave == "T3", ]
  expect_equal(c(row$lee_lower, row$lee_upper), hand, tolerance = 1e-10)
  expect_lte(row$lee_lower, row$lee_upper)
  # T1: everyone answered, no trimming, the bounds are the difference
  expect_equal(ss$lee_lower[ss$wave == "T1"], cmp$estimate[cmp$wave == "T1"],
               tolerance = 1e-10)
})

test_that("bad arguments are classed errors; suppressed rows stay suppressed", {
  s <- sim_mnar(n = 3000, seed = 9)
  w <- mnar_weights(s)
  expect_error(tilt_sensitivity(w, "y", alpha = c(0.1, 0.2)),
               class = "panelattrition_arg_error")
  bare <- w
  bare$stages <- list()
  err <- expect_error(tilt_sensitivity(bare, "y", alpha = c(0, 0.1)),
                      class = "panelattrition_weights_error")
  expect_identical(err$argument, "w")
  expect_error(tilt_sensitivity(w, "st", alpha = 0, category = "nope"),
               class = "panelattrition_arg_error")
  # (se = "bootstrap" is available since the tilted stages are refitted
  # in every replicate; its `control` must be a boot_control())
  expect_error(tilt_sensitivity(w, "y", alpha = 0, se = "bootstrap",
                                control = list(maxit = 10)),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(w, "y", alpha = 0, by = "g",
                                group_alpha = c(zz = 1)),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(w, "y", alpha = 0, ref = "a"),
               class = "panelattrition_arg_error")
  expect_error(tilt_sensitivity(w, "y", alpha = 0, benchmark = "nope"),
               class = "panelattrition_arg_error")
  expect_error(tipping_point(wave_means(w, "y"), delta = 0, null = 1,
                             benchmark = -1),
               class = "panelattrition_arg_error")
  # a table with suppressed rows: no unclassed error anywhere
  s$long$tiny <- s$long$g == "b" & s$long$x > 2.3
  s$long$grp <- ifelse(s$long$x > 2.2, "rare", "common")
  panel <- panel_data(s$long, id = "id", wave = "wave",
                      baseline = c("x", "g"))
  w <- attrition_weights(panel, ~ x, history = "y")
  w$panel$baseline$grp <- ifelse(w$panel$baseline$x > 2.2, "rare", "common")
  m <- suppressMessages(wave_means(w, "st", by = "g", min_n = 200))
  expect_true(any(m$suppressed))
  tp <- suppressMessages(tipping_point(m, delta = c(-1, 0, 1), null = 0.3,
                                       w = w))
  expect_true(all(is.na(tp$estimate[tp$delta == 0][m$suppressed])))
  ss <- suppressMessages(sensitivity_summary(m, w, null = 0.3, min_n = 200))
  expect_identical(ss$suppressed, m$suppressed)
  expect_true(all(is.na(ss$estimate[ss$suppressed])))
  expect_true(all(is.na(ss$tipping_alpha[ss$suppressed])))
  err <- expect_error(sensitivity_summary(m, w, rows = which(m$suppressed)[1]),
                      class = "panelattrition_disclosure_error")
  expect_identical(err$argument, "rows")
  tl <- suppressMessages(tilt_sensitivity(w, "st", alpha = c(0, 0.5),
                                          category = "mid", by = "g",
                                          min_n = 200))
  b <- suppressMessages(attrition_bounds(w, "st", category = "high",
                                         by = "g", min_n = 200))
  # the category's rows are suppressed as wave_means() suppresses them
  hi <- m[m$level == "mid" & m$wave != "T1", ]
  k <- match(paste(tl$wave, tl$group), paste(hi$wave, hi$g))
  expect_identical(tl$suppressed, hi$suppressed[k])
  expect_true(any(tl$suppressed))
  expect_true(all(is.na(tl$estimate[tl$suppressed])))
})

test_that("sensitivity summaries print, plot, autoplot and tidy, suppressed rows included", {
  s <- sim_mnar(n = 1500, seed = 9)
  w <- mnar_weights(s)
  m <- suppressMessages(wave_means(w, "st", by = "g", min_n = 120))
  expect_true(any(m$suppressed))
  ss <- suppressMessages(sensitivity_summary(m, w, null = 0.3, min_n = 120))
  cmp <- sensitivity_summary(compare_groups(wave_means(w, "y", by = "g"),
                                            ref = "a"), w)
  # print: one line per estimate, suppressed rows said so
  out <- utils::capture.output(res <- print(ss))
  expect_identical(res, ss)
  expect_true(any(grepl("suppressed (too few respondents)", out,
                        fixed = TRUE)))
  expect_true(any(grepl("Manski bounds", out, fixed = TRUE)))
  expect_equal(sum(grepl("\\[", out)) - sum(grepl("Manski", out)),
               nrow(ss) - sum(ss$suppressed))
  # bound summaries and column selections print (the INCREASE VS vignette
  # shows rbind(...)[, cols])
  both <- rbind(ss, ss)
  expect_no_error(utils::capture.output(print(both)))
  sub <- both[, c("outcome", "estimate", "tipping_delta_sd", "tipping_alpha")]
  out <- utils::capture.output(print(sub))
  expect_true(any(grepl("tipping_delta_sd", out, fixed = TRUE)))
  sub <- ss[, c("wave", "g", "estimate", "conf_low", "conf_high")]
  out <- utils::capture.output(print(sub))
  expect_false(any(grepl("No tipping points", out, fixed = TRUE)))
  out <- utils::capture.output(print(cmp))
  expect_true(any(grepl("Lee bounds", out, fixed = TRUE)))
  expect_true(any(grepl("x benchmark", out, fixed = TRUE)))
  # tidy: the broom columns and the sensitivity columns, row by row
  td <- tidy(cmp, conf.int = TRUE)
  expect_equal(td$estimate, cmp$estimate)
  expect_equal(td$statistic, cmp$estimate / cmp$std_error)
  expect_equal(td$lee_lower, cmp$lee_lower)
  expect_equal(td$tipping_alpha_benchmark, cmp$tipping_alpha_benchmark)
  expect_true(all(c("term", "std.error", "p.value", "conf.low", "conf.high")
                  %in% names(td)))
  tds <- tidy(ss)
  expect_true(all(is.na(tds$estimate[tds$suppressed])))
  expect_identical(tds$suppressed, ss$suppressed)
  expect_equal(glance(ss)$suppressed, sum(ss$suppressed))
  # plot: to a null device, with the user's titles, labels and limits
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_invisible(plot(ss))
  expect_identical(plot(cmp, main = "Differences", xlab = "b - a",
                        ylab = "", xlim = c(-1, 1), ylim = c(0, 8)), cmp)
  expect_identical(plot(ss, main = "Share", xlab = "share", xlim = c(0, 1)),
                   ss)
  err <- expect_error(plot(ss, type = "curve"),
                      class = "panelattrition_arg_error")
  expect_identical(err$argument, "type")
  skip_if_not_installed("ggplot2")
  p <- ggplot2::autoplot(ss)
  expect_s3_class(p, "ggplot")
  expect_s3_class(ggplot2::ggplot_build(ggplot2::autoplot(cmp)),
                  "ggplot_built")
})

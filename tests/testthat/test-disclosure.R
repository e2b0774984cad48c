# Adversarial: one group-wave cell has three respondents. Every route out of
# the package is tried, and no number anywhere (attributes included) may be
# the cell's mean or a member's value, nor the obvious differencing give it.

disclosure_setup <- function() {
  set.seed(20261)
  n <- 600
  g <- factor(c(rep("v", 8), sample(c("a", "b", "c"), n - 8, replace = TRUE)))
  age <- round(stats::runif(n, 18, 65))
  # group v lives far from the others, so no other number can be near its
  # values by chance
  y1 <- stats::rnorm(n, 50 + 0.1 * age, 8)
  y1[g == "v"] <- y1[g == "v"] + 70
  y2 <- y1 + stats::rnorm(n, 2, 4)
  y3 <- y2 + stats::rnorm(n, 1, 4)
  r2 <- stats::runif(n) < stats::plogis(1 - 0.01 * (age - 40))
  r2[g == "v"] <- c(rep(TRUE, 6), FALSE, FALSE)
  r3 <- r2 & stats::runif(n) < stats::plogis(1.2)
  r3[g == "v"] <- c(rep(TRUE, 3), rep(FALSE, 5))
  ids <- sprintf("p%03d", seq_len(n))
  one <- function(wv, y, keep) {
    data.frame(id = ids, wave = wv, g = g, age = age, y = y, hi = y > 60,
               st = cut(y, c(-Inf, 50, 60, Inf),
                        labels = c("low", "mid", "high")))[keep, ]
  }
  long <- rbind(one("T1", y1, TRUE), one("T2", y2, r2), one("T3", y3, r3))
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  members <- which(g == "v" & r3)
  wt <- w$weights[ids[members], "T3"]
  list(w = w, long = long, members = y3[members],
       # the suppressed cell's attrition-weighted and plain means
       secret_mean = c(sum(wt * y3[members]) / sum(wt), mean(y3[members])))
}

# Every number in an object: its values, list elements and attributes,
# recursively (formulas' and calls' environments are not data).
all_numbers <- function(x) {
  out <- numeric(0)
  if (is.numeric(x) || is.complex(x)) out <- as.numeric(x[is.finite(x)])
  if (is.list(x)) {
    out <- c(out, unlist(lapply(unclass(x), all_numbers), use.names = FALSE))
  }
  at <- attributes(x)
  at <- at[setdiff(names(at), c("names", "row.names", "class", "levels",
                                "dim", "dimnames", "call", "terms"))]
  c(out, unlist(lapply(at, all_numbers), use.names = FALSE))
}

# The numbers printed by print(x).
printed_numbers <- function(x) {
  txt <- utils::capture.output(print(x))
  tok <- unlist(regmatches(txt, gregexpr("-?[0-9]+\\.?[0-9]*(e[-+]?[0-9]+)?",
                                          txt)))
  suppressWarnings(as.numeric(tok[!is.na(suppressWarnings(as.numeric(tok)))]))
}

expect_no_secret <- function(x, secrets, label) {
  nums <- all_numbers(x)
  hit <- vapply(secrets, function(s) any(abs(nums - s) < 1e-8), logical(1))
  expect(!any(hit), sprintf("%s holds a suppressed value (%s)", label,
                            paste(format(secrets[hit], digits = 10),
                                  collapse = ", ")))
  # printed to four significant digits
  shown <- printed_numbers(x)
  hit <- vapply(signif(secrets, 4), function(s) {
    any(abs(shown - s) < 1e-8 * max(1, abs(s)))
  }, logical(1))
  expect(!any(hit), sprintf("print(%s) shows a suppressed value", label))
}

test_that("no route recovers a suppressed cell", {
  s <- disclosure_setup()
  w <- s$w
  secrets <- c(s$secret_mean, s$members)
  # what min_n = 0 would show: the cell exists and is the one we hide
  open <- wave_means(w, "y", by = "g", min_n = 0)
  at_v <- open$wave == "T3" & open$g == "v"
  expect_equal(open$estimate[at_v], s$secret_mean[1], tolerance = 1e-12)
  expect_identical(open$n[at_v], 3L)

  expect_message(m <- wave_means(w, "y", by = "g"), "suppressed")
  row_v <- which(m$wave == "T3" & m$g == "v")
  expect_true(m$suppressed[row_v])
  expect_true(is.na(m$n[row_v]) && is.na(m$n_eff[row_v]))
  # complementary suppression: a second group of T3 is hidden too
  expect_gte(sum(m$suppressed[m$wave == "T3"]), 2L)
  expect_no_secret(m, secrets, "wave_means()")
  expect_no_secret(as.data.frame(m), secrets, "as.data.frame()")
  expect_no_secret(vcov(m), secrets, "vcov()")
  expect_no_secret(summary(m), secrets, "summary()")
  skip_if_not_installed("generics")
  td <- generics::tidy(m, conf.int = TRUE)
  expect_true(all(is.na(td[row_v, c("estimate", "std.error", "conf.low")])))
  expect_no_secret(td, secrets, "tidy()")
  expect_no_secret(generics::glance(m), secrets, "glance()")
  cmp <- compare_groups(m)
  expect_false(any(cmp$wave == "T3" & (cmp$group == "v" | cmp$versus == "v")))
  expect_no_secret(cmp, secrets, "compare_groups()")
  tp <- tipping_point(m, delta = c(-5, 0, 5), null = 50)
  expect_true(is.na(attr(tp, "tipping")$tipping_delta[row_v]))
  expect_no_secret(tp, secrets, "tipping_point()")
  expect_no_secret(tipping_point(cmp, delta = c(-5, 0, 5)), secrets,
                   "tipping_point(compare_groups())")

  # differencing: the overall T3 mean minus the shown groups' shares times
  # their means, divided by the hidden group's share, is not the hidden
  # mean (shares taken from the weights themselves, which a reader of the
  # tables does not even have)
  all_t3 <- suppressMessages(wave_means(w, "y"))
  all_t3 <- all_t3$estimate[all_t3$wave == "T3"]
  long3 <- s$long[s$long$wave == "T3", ]
  wt3 <- w$weights[long3$id, "T3"]
  share <- tapply(wt3, long3$g, sum) / sum(wt3)
  t3 <- m[m$wave == "T3", ]
  shown <- !t3$suppressed
  guess <- (all_t3 - sum(share[as.character(t3$g[shown])] *
                           t3$estimate[shown])) / share[["v"]]
  expect_gt(abs(guess - s$secret_mean[1]), 1)
  # the group shares themselves: the count of v at T3 is hidden
  expect_message(gs <- wave_means(w, "g"), "suppressed")
  expect_true(all(gs$suppressed[gs$wave == "T3" & gs$level == "v"]))
  expect_gte(sum(gs$suppressed[gs$wave == "T3"]), 2L)

  # bootstrap replicates: masked, and with replicate_weights() on the same
  # seed nothing of the cell comes back
  ctl <- boot_control(30, seed = 3)
  b <- suppressMessages(wave_means(w, "y", by = "g", se = "bootstrap",
                                   control = ctl))
  reps <- attr(b, "replicates")
  expect_true(all(is.na(reps[, b$suppressed])))
  expect_no_secret(b, secrets, "bootstrap wave_means()")
  expect_no_secret(as.data.frame(b), secrets, "as.data.frame(bootstrap)")
  rw <- replicate_weights(w, ctl)
  expect_true(all(is.na(reps[, row_v])))
  expect_no_secret(rw, secrets, "replicate_weights()")

  # changes ending in the cell
  ch <- suppressMessages(panel_change(w, "y", from = "T1", to = "T3", by = "g"))
  expect_true(ch$suppressed[ch$g == "v"])
  expect_no_secret(ch, secrets, "panel_change()")

  # GEE: a model with a coefficient for the cell is refused
  expect_error(ipw_gee(y ~ g * wave, w),
               class = "panelattrition_disclosure_error")
  expect_error(ipw_gee(y ~ g * wave, w, min_n = 5),
               class = "panelattrition_arg_error", regexp = "formula")
  # (sum contrasts: no sparse column, the cell still identifies a direction)
  expect_error(
    ipw_gee(y ~ g * wave, w,
            data = data.frame(g = C(w$panel$data$g, contr.sum),
                              wave = w$panel$data$wave)),
    class = "panelattrition_disclosure_error")
  fit <- ipw_gee(y ~ g + wave, w)
  expect_no_secret(fit, secrets, "ipw_gee(y ~ g + wave)")

  # bounds and tilting
  bd <- suppressMessages(attrition_bounds(w, "hi", by = "g"))
  expect_true(bd$suppressed[bd$wave == "T3" & bd$group == "v"])
  expect_true(is.na(bd$n_observed[bd$wave == "T3" & bd$group == "v"]))
  expect_no_secret(bd, secrets, "attrition_bounds()")
  expect_true(all(is.na(bd[bd$wave == "T3" & bd$group == "v",
                           c("lower", "upper", "mean_observed")])))
  tl <- suppressMessages(tilt_sensitivity(w, "y", alpha = c(-0.05, 0, 0.05),
                                          by = "g"))
  expect_true(all(tl$suppressed[tl$wave == "T3" & tl$group == "v"]))
  expect_no_secret(tl, secrets, "tilt_sensitivity()")

  # transitions into T3: the group's rows are all hidden, and no count of
  # one or two shows
  tr <- suppressMessages(transitions(w, "st", from = "T2", to = "T3",
                                     by = "g"))
  expect_true(all(tr$suppressed[tr$g == "v"]))
  expect_true(all(is.na(tr$n[tr$suppressed])))
  expect_no_secret(tr, secrets, "transitions()")
  ch_tr <- attr(tr, "changed")
  expect_true(ch_tr$suppressed[ch_tr$g == "v"])
})

test_that("proportions hide small counts with or without the attribute", {
  s <- disclosure_setup()
  open <- wave_means(s$w, "hi", by = "g", min_n = 0)
  p <- suppressMessages(wave_means(s$w, "hi", by = "g"))
  # group v at T2: six respondents, all above 60: nobody without the
  # attribute, so the proportion (1) is hidden
  k <- which(p$wave == "T2" & p$g == "v")
  expect_equal(open$estimate[k], 1)
  expect_true(p$suppressed[k])
  # and a second group of that wave with it
  expect_gte(sum(p$suppressed[p$wave == "T2"]), 2L)
  # counts are rounded when asked
  old <- options(panelattrition.round_counts = 5)
  on.exit(options(old))
  r <- suppressMessages(wave_means(s$w, "y", by = "g"))
  expect_true(all(r$n %% 5 == 0, na.rm = TRUE))
  options(panelattrition.round_counts = "x")
  expect_error(suppressMessages(wave_means(s$w, "y")),
               class = "panelattrition_option_error")
})

test_that("min_n must be a finite non-negative number", {
  s <- disclosure_setup()
  for (bad in list(Inf, -1, NA, "5", c(1, 2))) {
    expect_error(wave_means(s$w, "y", min_n = bad),
                 class = "panelattrition_arg_error", regexp = "`min_n`")
  }
  expect_error(attrition_bounds(s$w, "hi", min_n = Inf),
               class = "panelattrition_arg_error", regexp = "`min_n`")
  expect_error(ipw_gee(y ~ wave, s$w, min_n = Inf),
               class = "panelattrition_arg_error", regexp = "`min_n`")
})

# Every vector (of numbers, logicals, strings or bytes) anywhere in an
# object, attributes and list elements included, with its length (a
# matrix's number of rows: a covariance of many rows is not per person).
vector_lengths <- function(x, path = "x") {
  out <- integer(0)
  if (is.atomic(x) && !is.null(x)) out[path] <- NROW(x)
  if (is.list(x)) {
    nm <- names(x) %||% rep("", length(x))
    for (i in seq_along(x)) {
      out <- c(out, vector_lengths(x[[i]], sprintf("%s[[%s]]", path,
                                                   if (nzchar(nm[i])) nm[i] else i)))
    }
  }
  at <- attributes(x)
  at <- at[setdiff(names(at), c("names", "row.names", "class", "call"))]
  for (a in names(at)) {
    out <- c(out, vector_lengths(at[[a]], sprintf("%s@%s", path, a)))
  }
  out
}

test_that("no table keeps a value per person, nor any of a suppressed cell", {
  s <- disclosure_setup()
  w <- s$w
  secrets <- c(s$secret_mean, s$members)
  # people who answered at least once (all 600 answered the first wave)
  respondents <- length(unique(s$long$id))
  tables <- suppressMessages(list(
    means = wave_means(w, "y", by = "g"),
    overall = wave_means(w, "y"),
    complete_case = wave_means(w, "y", by = "g", estimator = "complete_case"),
    complete_overall = wave_means(w, "y", estimator = "complete_case"),
    naive = wave_means(w, "y", by = "g", se = "naive"),
    proportions = wave_means(w, c("hi", "st"), by = "g"),
    change = panel_change(w, "y", from = "T1", to = "T3", by = "g"),
    change_overall = panel_change(w, "y", from = "T2", to = "T3"),
    transitions = transitions(w, "st", from = "T2", to = "T3", by = "g"),
    aipw = wave_means(w, "y", by = "g", estimator = "aipw"),
    aipw_overall = wave_means(w, "y", estimator = "aipw")
  ))
  expect_true(tables$means$suppressed[tables$means$wave == "T3" &
                                        tables$means$g == "v"])
  for (nm in names(tables)) {
    len <- vector_lengths(tables[[nm]])
    long <- len[len >= respondents]
    expect(!length(long),
           sprintf("%s keeps vectors as long as the respondents: %s", nm,
                   paste(names(long), collapse = ", ")))
    expect_no_secret(tables[[nm]], secrets, nm)
  }
  # the overall complete-case mean's influence values were (y - mean) / n:
  # no number of the table is a member's value so scaled
  cc <- tables$complete_overall
  t3 <- which(cc$wave == "T3")
  scaled <- (s$members - cc$estimate[t3]) / cc$n[t3]
  nums <- all_numbers(cc)
  expect_false(any(vapply(scaled, function(v) any(abs(nums - v) < 1e-12),
                          logical(1))))
})

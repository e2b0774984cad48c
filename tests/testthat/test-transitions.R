status_panel <- function(seed = 13, n = 900) {
  s <- sim_panel(n = n, seed = seed)
  set.seed(seed + 1)
  long <- s$long
  # employment status: more likely employed with higher y, changing by wave
  p_emp <- stats::plogis((long$y - 55) / 5)
  long$emp <- ifelse(stats::runif(nrow(long)) < p_emp, "employed",
                     ifelse(stats::runif(nrow(long)) < 0.5, "training",
                            "unemployed"))
  panel <- panel_data(long, id = "id", wave = "wave", baseline = c("g", "age"))
  list(s = s, panel = panel,
       w = attrition_weights(panel, ~ g + age, history = "y"))
}

test_that("transition probabilities are weighted shares within each origin", {
  m <- status_panel()
  w <- m$w
  long <- m$panel$data
  # the hand calculation covers small cells too, so none is suppressed
  tr <- transitions(w, "emp", from = "T1", to = "T2", by = "g", min_n = 0)
  at1 <- long[long$wave == "T1", ]
  at2 <- long[long$wave == "T2", ]
  a <- at1$emp[match(at2$id, at1$id)]
  wt <- w$weights[cbind(match(at2$id, rownames(w$weights)), 2)]
  for (g in c("a", "c")) {
    for (from_lv in c("employed", "unemployed")) {
      sel <- at2$g == g & a == from_lv
      hand <- sum(wt[sel] * (at2$emp[sel] == "training")) / sum(wt[sel])
      row <- tr[tr$g == g & tr$from_status == from_lv &
                  tr$to_status == "training", ]
      expect_equal(row$estimate, hand, tolerance = 1e-12)
      expect_identical(row$n, sum(sel))
    }
  }
  # each origin row sums to one
  sums <- tapply(tr$estimate, list(tr$g, tr$from_status), sum)
  expect_equal(as.vector(sums), rep(1, 9), tolerance = 1e-12)
  ch <- attr(tr, "changed")
  sel <- at2$g == "b"
  expect_equal(ch$estimate[ch$g == "b"],
               sum(wt[sel] * (a[sel] != at2$emp[sel])) / sum(wt[sel]),
               tolerance = 1e-12)
  expect_output(print(tr), "Share whose status changed")
})

test_that("naive transition SEs equal survey domain estimates", {
  skip_if_not_installed("survey")
  m <- status_panel(seed = 17)
  w <- m$w
  long <- m$panel$data
  long$wt <- w$weights[cbind(match(long$id, rownames(w$weights)),
                             as.integer(long$wave))]
  at1 <- long[long$wave == "T1", ]
  long$from_status <- at1$emp[match(long$id, at1$id)]
  long$to_unemp <- long$emp == "unemployed"
  des <- survey::svydesign(ids = ~id, weights = ~wt, data = long)
  tr <- transitions(w, "emp", from = "T1", to = "T3", se = "naive")
  ref <- survey::svyby(~to_unemp, ~from_status, subset(des, wave == "T3"),
                       survey::svymean)
  got <- tr[tr$to_status == "unemployed", ]
  ord <- match(as.character(got$from_status), ref$from_status)
  expect_equal(got$estimate, unname(ref$to_unempTRUE[ord]), tolerance = 1e-10)
  expect_equal(got$std_error, unname(survey::SE(ref)[["se.to_unempTRUE"]][ord]),
               tolerance = 1e-8)
  # the sandwich counts the estimated weights and differs
  sw <- transitions(w, "emp", from = "T1", to = "T3")
  expect_equal(sw$estimate, tr$estimate)
  expect_false(isTRUE(all.equal(sw$std_error, tr$std_error)))
})

test_that("transitions compare across groups and reject bad input", {
  m <- status_panel(seed = 19)
  tr <- transitions(m$w, "emp", from = "T1", to = "T2", by = "g")
  cmp <- compare_groups(attr(tr, "changed"), ref = "a")
  ch <- attr(tr, "changed")
  v <- vcov(ch)
  expect_equal(cmp$estimate[cmp$group == "b"],
               ch$estimate[ch$g == "b"] - ch$estimate[ch$g == "a"])
  expect_equal(cmp$std_error[cmp$group == "b"],
               sqrt(v[2, 2] + v[1, 1] - 2 * v[1, 2]))
  cells <- compare_groups(tr)
  expect_true(all(c("from_status", "to_status") %in% names(cells)))
  expect_error(transitions(m$w, "y"), class = "panelattrition_arg_error",
               regexp = "categorical")
  expect_error(transitions(m$w, "emp", from = "T2", to = "T1"),
               class = "panelattrition_arg_error")
})

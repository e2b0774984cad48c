# knit_print(): real tables in knitted documents, numbers formatted.

test_that("estimate tables and comparisons knit as tables with formatted p-values", {
  skip_if_not_installed("knitr")
  s <- sim_panel(800, seed = 4)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  m <- wave_means(w, "y", by = "g")
  cmp <- compare_groups(m)
  expect_true(any(cmp$p_value < 0.001))
  old <- options(knitr.table.format = "html")
  on.exit(options(old))
  out <- knitr::knit_print(cmp)
  expect_s3_class(out, "knit_asis")
  html <- paste(out, collapse = "\n")
  expect_match(html, "<table")
  expect_match(html, "&lt; 0.001|< 0.001")
  expect_false(grepl(">0<|> 0 <|>0.000<", html))
  md <- knitr::knit(text = c("```{r, echo = FALSE}", "m", "```"),
                    quiet = TRUE, envir = environment())
  expect_match(md, "<table")
  expect_match(md, "95% interval")
  expect_false(grepl("<pa_estimates>", md, fixed = TRUE))
  for (x in list(m, cmp, ipw_gee(y ~ wave + g, w), w, response_flow(panel, by = "g"),
                 tipping_point(panel_change(w, "y"), delta = c(-1, 1)))) {
    expect_match(paste(knitr::knit_print(x), collapse = "\n"), "<table")
  }
})

test_that("suppressed cells knit as 'suppressed', with no numbers", {
  skip_if_not_installed("knitr")
  s <- sim_panel(300, seed = 4)
  panel <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  w <- attrition_weights(panel, ~ g + age)
  m <- suppressMessages(wave_means(w, "y", by = "g", min_n = 40))
  expect_true(any(m$suppressed))
  tab <- display_table(m)
  expect_true(all(tab$estimate[m$suppressed] == "suppressed"))
  expect_true(all(tab$n[m$suppressed] == ""))
  expect_true(all(tab[["95% interval"]][m$suppressed] == ""))
  expect_identical(format_p(c(0, 0.0004, 0.0123, NA)),
                   c("< 0.001", "< 0.001", "0.012", ""))
})

# The person index of a panel must give what the ids' spelling gives.

test_that("the panel's person index matches the ids, also when rebuilt", {
  s <- sim_panel(200)
  p <- panel_data(s$long, id = "id", wave = "wave", baseline = c("g", "age"))
  expect_type(p$person, "integer")
  expect_identical(p$ids[p$person], p$data$id)
  by_name <- match(as.character(p$data$id), rownames(p$response))
  expect_identical(panelattrition:::person_index(p), by_name)
  q <- p
  q$person <- NULL
  expect_identical(panelattrition:::person_index(q), by_name)
  w1 <- attrition_weights(p, ~ g + age, history = "y")
  w2 <- attrition_weights(q, ~ g + age, history = "y")
  expect_identical(w1$weights, w2$weights)
})

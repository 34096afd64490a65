import { choice, domain, list, n, num, numbers, round } from '../define.js';

const money = (x: number): number => round(x, 2);
const COMPOUNDING = { annually: 1, quarterly: 4, monthly: 12, daily: 365 } as const;

export const financeTools = domain('finance', [
  {
    name: 'compound_interest',
    description: 'Computes the final balance of a deposit with compound interest.',
    params: {
      principal: num('Initial deposit', 100, 1000000),
      annual_rate_percent: num('Yearly interest rate in percent', 0, 20, 2),
      years: num('Number of years', 1, 50),
      compounding: choice('How often interest is added', Object.keys(COMPOUNDING), {}),
    },
    required: ['principal', 'annual_rate_percent', 'years'],
    run: (a) => {
      const periods = COMPOUNDING[(a.compounding as keyof typeof COMPOUNDING | undefined) ?? 'annually'];
      return money(n(a, 'principal') * (1 + n(a, 'annual_rate_percent') / 100 / periods) ** (periods * n(a, 'years')));
    },
    templates: [
      'If I invest {principal} at {annual_rate_percent}% for {years} years, what will I have?',
      'Compute compound interest on {principal} at {annual_rate_percent} percent over {years} years, compounded {compounding}.',
      'What does a {principal} deposit grow to in {years} years at {annual_rate_percent}% interest compounded {compounding}?',
    ],
  },
  {
    name: 'simple_interest',
    description: 'Computes the simple (non-compounding) interest earned on a principal.',
    params: {
      principal: num('The principal', 100, 1000000),
      annual_rate_percent: num('Yearly rate in percent', 0, 20, 2),
      years: num('Number of years', 1, 30),
    },
    run: (a) => money((n(a, 'principal') * n(a, 'annual_rate_percent') * n(a, 'years')) / 100),
    templates: [
      'How much simple interest does {principal} earn at {annual_rate_percent}% over {years} years?',
      'Simple interest on {principal} for {years} years at {annual_rate_percent} percent?',
      'Calculate the non-compounded interest for {principal} at {annual_rate_percent}% during {years} years.',
    ],
  },
  {
    name: 'loan_monthly_payment',
    description: 'Computes the fixed monthly payment of an amortizing loan.',
    params: {
      amount: num('The amount borrowed', 1000, 2000000),
      annual_rate_percent: num('Yearly interest rate in percent', 0, 15, 2),
      months: num('Loan term in months', 6, 480),
    },
    run: (a) => {
      const r = n(a, 'annual_rate_percent') / 100 / 12;
      const m = n(a, 'months');
      return money(r === 0 ? n(a, 'amount') / m : (n(a, 'amount') * r) / (1 - (1 + r) ** -m));
    },
    templates: [
      'What is the monthly payment on a {amount} loan at {annual_rate_percent}% over {months} months?',
      'I want to borrow {amount} for {months} months at {annual_rate_percent} percent. How much will I pay each month?',
      'Calculate my mortgage installment: {amount} borrowed, {annual_rate_percent}% interest, {months} months.',
    ],
  },
  {
    name: 'percent_change',
    description: 'Computes the percentage change from an old value to a new one.',
    params: { old_value: num('The starting value (not zero)', 1, 100000, 2), new_value: num('The new value', 0, 100000, 2) },
    run: (a) => round(((n(a, 'new_value') - n(a, 'old_value')) / n(a, 'old_value')) * 100, 4),
    templates: [
      'What is the percent change from {old_value} to {new_value}?',
      'The price went from {old_value} to {new_value}. By what percentage did it change?',
      'How many percent is {new_value} above or below {old_value}?',
    ],
  },
  {
    name: 'tip_calculator',
    description: 'Splits a restaurant bill with tip between people and returns the amount each pays.',
    params: {
      bill: num('The bill before tip', 5, 2000, 2),
      tip_percent: num('Tip in percent', 0, 30),
      people: num('Number of people sharing', 1, 20),
    },
    required: ['bill', 'tip_percent'],
    run: (a) => money((n(a, 'bill') * (1 + n(a, 'tip_percent') / 100)) / ((a.people as number | undefined) ?? 1)),
    templates: [
      'Our bill is {bill} and we want to tip {tip_percent}%. How much does each of {people} people pay?',
      'Add a {tip_percent}% tip to a bill of {bill}.',
      'Split {bill} plus {tip_percent} percent tip among {people} friends.',
    ],
  },
  {
    name: 'discounted_price',
    description: 'Applies a percentage discount to a price.',
    params: { price: num('The original price', 1, 10000, 2), discount_percent: num('The discount in percent', 1, 90) },
    run: (a) => money(n(a, 'price') * (1 - n(a, 'discount_percent') / 100)),
    templates: [
      'What does an item of {price} cost after a {discount_percent}% discount?',
      'Apply {discount_percent} percent off to {price}.',
      'The sale takes {discount_percent}% off a {price} jacket. What is the new price?',
    ],
  },
  {
    name: 'add_sales_tax',
    description: 'Adds sales tax or VAT at a given rate to a net price.',
    params: { net_price: num('Price before tax', 1, 10000, 2), tax_rate_percent: num('Tax rate in percent', 1, 27, 1) },
    run: (a) => money(n(a, 'net_price') * (1 + n(a, 'tax_rate_percent') / 100)),
    templates: [
      'What is {net_price} including {tax_rate_percent}% VAT?',
      'Add {tax_rate_percent} percent sales tax to {net_price}.',
      'Gross price for a net {net_price} with tax at {tax_rate_percent}%?',
    ],
  },
  {
    name: 'return_on_investment',
    description: 'Computes the return on investment in percent from the cost and the final value.',
    params: { cost: num('Amount invested', 100, 1000000), final_value: num('Value at the end', 0, 2000000) },
    run: (a) => round(((n(a, 'final_value') - n(a, 'cost')) / n(a, 'cost')) * 100, 4),
    templates: [
      'What is the ROI if I invested {cost} and it is now worth {final_value}?',
      'Calculate return on investment: cost {cost}, value {final_value}.',
      'I put in {cost} and got back {final_value}. What is my return in percent?',
    ],
  },
  {
    name: 'break_even_units',
    description: 'Computes how many units must be sold to cover fixed costs.',
    params: {
      fixed_costs: num('Total fixed costs', 100, 1000000),
      price_per_unit: num('Selling price per unit', 2, 500, 2),
      cost_per_unit: num('Variable cost per unit (below the price)', 0, 1, 2),
    },
    run: (a) => Math.ceil(n(a, 'fixed_costs') / (n(a, 'price_per_unit') - n(a, 'cost_per_unit'))),
    templates: [
      'How many units do I need to sell to break even with fixed costs of {fixed_costs}, price {price_per_unit} and unit cost {cost_per_unit}?',
      'Break-even point for {fixed_costs} fixed costs, selling at {price_per_unit}, variable cost {cost_per_unit}.',
      'Selling at {price_per_unit} with a unit cost of {cost_per_unit}, how many sales cover {fixed_costs} of fixed costs?',
    ],
  },
  {
    name: 'future_value_of_savings',
    description: 'Computes the balance after regular monthly deposits earning a yearly interest rate.',
    params: {
      monthly_deposit: num('Amount saved each month', 10, 10000),
      annual_rate_percent: num('Yearly interest rate in percent', 0, 12, 2),
      years: num('Years of saving', 1, 40),
    },
    run: (a) => {
      const r = n(a, 'annual_rate_percent') / 100 / 12;
      const m = n(a, 'years') * 12;
      return money(r === 0 ? n(a, 'monthly_deposit') * m : (n(a, 'monthly_deposit') * ((1 + r) ** m - 1)) / r);
    },
    templates: [
      'If I save {monthly_deposit} a month for {years} years at {annual_rate_percent}%, how much will I have?',
      'Future value of {monthly_deposit} monthly deposits over {years} years at {annual_rate_percent} percent.',
      'How big will my savings be after {years} years putting away {monthly_deposit} each month at {annual_rate_percent}% interest?',
    ],
  },
  {
    name: 'net_present_value',
    description: 'Discounts a series of yearly cash flows (the first at year 0) to their net present value.',
    params: { rate_percent: num('Discount rate in percent', 1, 20, 1), cash_flows: numbers('Cash flows, year 0 first', 2, 6, -10000, 10000) },
    run: (a) => money(list(a, 'cash_flows').reduce((sum, cf, year) => sum + cf / (1 + n(a, 'rate_percent') / 100) ** year, 0)),
    templates: [
      'What is the NPV of cash flows {cash_flows} at a {rate_percent}% discount rate?',
      'Discount the cash flows {cash_flows} at {rate_percent} percent to a net present value.',
      'Compute net present value at {rate_percent}% for {cash_flows}.',
    ],
  },
  {
    name: 'inflation_adjusted_value',
    description: 'Gives what an amount of money will be worth in today\'s terms after years of constant inflation.',
    params: {
      amount: num('Amount of money', 100, 1000000),
      inflation_percent: num('Yearly inflation in percent', 0, 15, 1),
      years: num('Number of years', 1, 50),
    },
    run: (a) => money(n(a, 'amount') / (1 + n(a, 'inflation_percent') / 100) ** n(a, 'years')),
    templates: [
      'What will {amount} be worth in {years} years with {inflation_percent}% inflation?',
      'Adjust {amount} for {inflation_percent} percent yearly inflation over {years} years.',
      'How much buying power does {amount} keep after {years} years at {inflation_percent}% inflation?',
    ],
  },
]);

"""Scrapy commands of the esfbank project (COMMANDS_MODULE): they replace Scrapy's own."""

"""Scrapy project: spiders fetch and follow links; pipelines archive, parse and load."""

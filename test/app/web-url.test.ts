import { describe, expect, it } from 'vitest';
import { isHttpsImageUrl, parseImageUrls } from '../../app/web-url';

describe('web image URLs', () => {
  it('accepts absolute https URLs with a host and no credentials only', () => {
    expect(isHttpsImageUrl('https://images.example.com/red-car.jpg')).toBe(true);
    expect(isHttpsImageUrl('HTTPS://images.example.com/a.png?x=1')).toBe(true);
    expect(isHttpsImageUrl('http://images.example.com/a.jpg')).toBe(false);
    expect(isHttpsImageUrl('https://user:pw@images.example.com/a.jpg')).toBe(false);
    expect(isHttpsImageUrl('https://')).toBe(false);
    expect(isHttpsImageUrl('images.example.com/a.jpg')).toBe(false);
  });

  it('splits pasted text on whitespace and commas, keeps order, drops repeats and names the rest', () => {
    const text = ' https://a.example.com/1.jpg\r\nhttps://b.example.com/2.png,https://a.example.com/1.jpg\tftp://c.example.com/3.jpg  ';
    expect(parseImageUrls(text)).toEqual({
      urls: ['https://a.example.com/1.jpg', 'https://b.example.com/2.png'],
      rejected: ['ftp://c.example.com/3.jpg'],
    });
    expect(parseImageUrls('   ')).toEqual({ urls: [], rejected: [] });
  });
});
